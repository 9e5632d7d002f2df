package io.ragstream.ingest;

import io.ragstream.config.KafkaClientProperties;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Flink's Kafka reader, checking each offset it is given against the topic as it is now:
 *
 * <ul>
 *   <li>The id of each topic is kept beside its offsets. A restored offset in a topic deleted and
 *       made again since (same name, new id) is a position in the old topic: read in the new one it
 *       would skip as many of its first records, silently. Such a partition is read from the new
 *       topic's earliest offset instead. A topic that does not exist at the restore keeps the id it
 *       had, so it is checked at the next.
 *   <li>An offset below the partition's earliest one names records the topic's retention deleted
 *       before the job read them (a job stopped, or failing, for longer than the retention).
 *       Kafka's consumer goes on from the earliest record without a word; here a warning names the
 *       partition and the offsets, and {@code recordsExpiredUnread} counts them.
 * </ul>
 */
final class CheckedKafkaReader implements SourceReader<KafkaRecord, KafkaPartitionSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(CheckedKafkaReader.class);
    private static final long LOOKUP_TIMEOUT_SECONDS = 10;

    private final SourceReader<KafkaRecord, KafkaPartitionSplit> kafka;
    private final String brokers;
    private final KafkaClientProperties client;
    private final Counter recordsExpiredUnread;
    private final Map<String, String> topicIds = new HashMap<>();

    CheckedKafkaReader(
            SourceReader<KafkaRecord, KafkaPartitionSplit> kafka,
            String brokers,
            KafkaClientProperties client,
            Counter recordsExpiredUnread) {
        this.kafka = kafka;
        this.brokers = brokers;
        this.client = client;
        this.recordsExpiredUnread = recordsExpiredUnread;
    }

    @Override
    public void addSplits(List<KafkaPartitionSplit> splits) {
        if (splits.isEmpty()) {
            kafka.addSplits(splits);
            return;
        }
        Partitions now = lookUp(splits);
        List<KafkaPartitionSplit> checked = new ArrayList<>(splits.size());
        for (KafkaPartitionSplit split : splits) {
            String held = TopicIdSplit.topicIdOf(split);
            String id = now.topicIds.get(split.getTopic());
            KafkaPartitionSplit read = inTopic(split, id);
            if (read != split) {
                LOG.warn(
                        "Topic {} was deleted and made again since the checkpoint or savepoint"
                                + " this job restored (topic id {}, now {}): its offset {} in"
                                + " partition {} is a position in the old topic, so the partition"
                                + " is read from the new topic's earliest offset",
                        split.getTopic(),
                        held,
                        id,
                        split.getStartingOffset(),
                        split.getPartition());
            }
            long expired = expiredUnread(read, now.earliestOffsets.get(split.getTopicPartition()));
            if (expired > 0) {
                recordsExpiredUnread.inc(expired);
                LOG.warn(
                        "Partition {} no longer holds offsets {} to {}: the topic's retention"
                                + " (or a delete of records) removed them before the job read"
                                + " them, and the documents they carried are not indexed."
                                + " Publish them again, and give the"
                                + " topic a retention longer than the job may be down (or"
                                + " cleanup.policy=compact). Counted in recordsExpiredUnread.",
                        split.getTopicPartition(),
                        read.getStartingOffset(),
                        read.getStartingOffset() + expired - 1);
            }
            if (id != null || held != null) {
                topicIds.put(split.getTopic(), id != null ? id : held);
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

    /**
     * How many records before {@code earliest} (null: not known) the split would start at: those
     * the partition no longer holds.
     */
    static long expiredUnread(KafkaPartitionSplit split, Long earliest) {
        long from = split.getStartingOffset();
        return from >= 0 && earliest != null && earliest > from ? earliest - from : 0;
    }

    /** What the brokers say of the splits' topics and partitions now. */
    private record Partitions(
            Map<String, String> topicIds, Map<TopicPartition, Long> earliestOffsets) {}

    /**
     * The ids of the splits' topics and the earliest offsets of their partitions, of those that
     * exist; none where the brokers do not answer.
     */
    private Partitions lookUp(List<KafkaPartitionSplit> splits) {
        Partitions now = new Partitions(new HashMap<>(), new HashMap<>());
        Set<String> topics =
                splits.stream().map(KafkaPartitionSplit::getTopic).collect(Collectors.toSet());
        try (Admin admin =
                Admin.create(
                        KafkaConnectionCheck.adminProperties(
                                brokers, client, LOOKUP_TIMEOUT_SECONDS))) {
            admin.describeTopics(topics)
                    .topicNameValues()
                    .forEach(
                            (topic, description) ->
                                    answer(description)
                                            .ifPresent(
                                                    d ->
                                                            now.topicIds.put(
                                                                    topic,
                                                                    d.topicId().toString())));
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            splits.stream()
                    // a topic that does not exist, or brokers that did not answer: no offsets
                    .filter(split -> now.topicIds.containsKey(split.getTopic()))
                    .forEach(
                            split ->
                                    earliest.put(split.getTopicPartition(), OffsetSpec.earliest()));
            if (earliest.isEmpty()) {
                return now;
            }
            ListOffsetsResult offsets = admin.listOffsets(earliest);
            earliest.keySet()
                    .forEach(
                            partition ->
                                    answer(offsets.partitionResult(partition))
                                            .ifPresent(
                                                    info ->
                                                            now.earliestOffsets.put(
                                                                    partition, info.offset())));
        } catch (RuntimeException e) {
            LOG.warn(
                    "Could not look up topics {} ({}); their offsets are taken unchecked",
                    topics,
                    client.redact(e.toString()));
        }
        return now;
    }

    /** The answer, where there is one: a topic or partition that does not exist (now) has none. */
    private <T> Optional<T> answer(KafkaFuture<T> future) {
        try {
            return Optional.of(future.get(LOOKUP_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        }
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
