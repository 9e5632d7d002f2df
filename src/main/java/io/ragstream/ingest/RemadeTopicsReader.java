package io.ragstream.ingest;

import io.ragstream.config.KafkaClientProperties;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.InputStatus;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Flink's Kafka reader, with the id of each topic kept beside its offsets. A restored offset in a
 * topic deleted and made again since (same name, new id) is a position in the old topic: read in
 * the new one it would skip as many of its first records, silently. Such a partition is read from
 * the new topic's earliest offset instead. A topic that does not exist at the restore keeps the id
 * it had, so it is checked at the next.
 */
final class RemadeTopicsReader implements SourceReader<KafkaRecord, KafkaPartitionSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(RemadeTopicsReader.class);
    private static final long LOOKUP_TIMEOUT_SECONDS = 10;

    private final SourceReader<KafkaRecord, KafkaPartitionSplit> kafka;
    private final String brokers;
    private final KafkaClientProperties client;
    private final Map<String, String> topicIds = new HashMap<>();

    RemadeTopicsReader(
            SourceReader<KafkaRecord, KafkaPartitionSplit> kafka,
            String brokers,
            KafkaClientProperties client) {
        this.kafka = kafka;
        this.brokers = brokers;
        this.client = client;
    }

    @Override
    public void addSplits(List<KafkaPartitionSplit> splits) {
        if (splits.isEmpty()) {
            kafka.addSplits(splits);
            return;
        }
        Map<String, String> current =
                currentIds(
                        splits.stream()
                                .map(KafkaPartitionSplit::getTopic)
                                .collect(Collectors.toSet()));
        List<KafkaPartitionSplit> checked = new ArrayList<>(splits.size());
        for (KafkaPartitionSplit split : splits) {
            String held = TopicIdSplit.topicIdOf(split);
            String now = current.get(split.getTopic());
            KafkaPartitionSplit read = inTopic(split, now);
            if (read != split) {
                LOG.warn(
                        "Topic {} was deleted and made again since the checkpoint or savepoint"
                                + " this job restored (topic id {}, now {}): its offset {} in"
                                + " partition {} is a position in the old topic, so the partition"
                                + " is read from the new topic's earliest offset",
                        split.getTopic(),
                        held,
                        now,
                        split.getStartingOffset(),
                        split.getPartition());
            }
            if (now != null || held != null) {
                topicIds.put(split.getTopic(), now != null ? now : held);
            }
            checked.add(read);
        }
        kafka.addSplits(checked);
    }

    /**
     * Where to read {@code split} in the topic whose id is now {@code currentId} (null: not known):
     * where it says, unless it holds an offset in a topic of another id, then from the earliest.
     */
    static KafkaPartitionSplit inTopic(KafkaPartitionSplit split, String currentId) {
        String held = TopicIdSplit.topicIdOf(split);
        if (held == null
                || currentId == null
                || held.equals(currentId)
                || split.getStartingOffset() <= 0) { // 0, or a marker: earliest, latest, committed
            return split;
        }
        return new KafkaPartitionSplit(
                split.getTopicPartition(),
                KafkaPartitionSplit.EARLIEST_OFFSET,
                split.getStoppingOffset().orElse(KafkaPartitionSplit.NO_STOPPING_OFFSET));
    }

    /** The ids of those of {@code topics} that exist; none where the brokers do not answer. */
    private Map<String, String> currentIds(Set<String> topics) {
        Map<String, String> ids = new HashMap<>();
        try (Admin admin =
                Admin.create(
                        KafkaConnectionCheck.adminProperties(
                                brokers, client, LOOKUP_TIMEOUT_SECONDS))) {
            Map<String, KafkaFuture<TopicDescription>> described =
                    admin.describeTopics(topics).topicNameValues();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> topic : described.entrySet()) {
                try {
                    ids.put(
                            topic.getKey(),
                            topic.getValue()
                                    .get(LOOKUP_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                                    .topicId()
                                    .toString());
                } catch (ExecutionException e) {
                    // a topic that does not exist (now): its held id stays
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn(
                    "Could not look up the ids of topics {} ({}); their restored offsets are taken"
                            + " unchecked",
                    topics,
                    client.redact(e.toString()));
        }
        return ids;
    }

    @Override
    public List<KafkaPartitionSplit> snapshotState(long checkpointId) {
        return kafka.snapshotState(checkpointId).stream()
                .map(
                        split ->
                                (KafkaPartitionSplit)
                                        new TopicIdSplit(split, topicIds.get(split.getTopic())))
                .toList();
    }

    @Override
    public void start() {
        kafka.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<KafkaRecord> output) throws Exception {
        return kafka.pollNext(output);
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return kafka.isAvailable();
    }

    @Override
    public void notifyNoMoreSplits() {
        kafka.notifyNoMoreSplits();
    }

    @Override
    public void handleSourceEvents(SourceEvent sourceEvent) {
        kafka.handleSourceEvents(sourceEvent);
    }

    @Override
    public void pauseOrResumeSplits(
            Collection<String> splitsToPause, Collection<String> splitsToResume) {
        kafka.pauseOrResumeSplits(splitsToPause, splitsToResume);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        kafka.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        kafka.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void close() throws Exception {
        kafka.close();
    }
}
