package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.RestoredSetting;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Holds what the Kafka source restored from a checkpoint or savepoint to the settings the job runs
 * with. Flink's KafkaSource restores its partitions and offsets whatever the settings now say:
 *
 * <ul>
 *   <li>it reads on the partitions of a topic the settings no longer name (FLINK-34089): a
 *       documents topic renamed, a CDC topic dropped. Their records are skipped, counted in {@code
 *       recordsOfRemovedTopics}, and each such topic is named once in a warning;
 *   <li>it reads from the restored offsets also in another Kafka cluster (brokers moved to a new
 *       cluster under the same topic names), where they skip or repeat records. Restored offsets of
 *       another cluster fail the job at once, without restarts, naming {@code
 *       kafka.bootstrap-servers}.
 * </ul>
 */
public final class RestoredPartitions extends ProcessFunction<KafkaRecord, KafkaRecord>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RestoredPartitions.class);

    private final Set<String> topics;
    private final String brokers;
    private final String clusterId;
    private transient Counter recordsOfRemovedTopics;
    private transient Set<String> removedTopicsSeen;

    /**
     * @param topics the topics the source now reads
     * @param clusterId the brokers' cluster id, null where they did not answer before the start
     *     (then restored offsets are taken unchecked)
     */
    public RestoredPartitions(Collection<String> topics, String brokers, String clusterId) {
        this.topics = Set.copyOf(topics);
        this.brokers = brokers;
        this.clusterId = clusterId;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        RestoredSetting.keep(context, "kafka-cluster", clusterId, this::refuseOffsetsOf);
    }

    /** Why offsets of {@code restoredCluster} cannot be read from the brokers, if they cannot. */
    private Optional<ConfigException> refuseOffsetsOf(String restoredCluster) {
        if (restoredCluster.equals(clusterId)) {
            return Optional.empty();
        }
        return Optional.of(
                new ConfigException(
                        RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS.key(),
                        "the checkpoint or savepoint this job was started from holds offsets in"
                                + " Kafka cluster "
                                + restoredCluster
                                + ", but the brokers at "
                                + brokers
                                + " are cluster "
                                + clusterId
                                + ": offsets of one cluster skip or repeat records in another."
                                + " Start without that state (bin/ragstream run --fresh; on a"
                                + " cluster, without the savepoint), with kafka.group-id naming a"
                                + " consumer group whose offsets in this cluster are committed"
                                + " (MirrorMaker 2 translates them), or set kafka.bootstrap-servers"
                                + " back."));
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // the cluster is kept since initializeState
    }

    @Override
    public void open(OpenContext openContext) {
        recordsOfRemovedTopics =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup("ragstream")
                        .counter("recordsOfRemovedTopics");
        removedTopicsSeen = new HashSet<>();
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<KafkaRecord> out) {
        if (topics.contains(record.topic())) {
            out.collect(record);
            return;
        }
        recordsOfRemovedTopics.inc();
        if (removedTopicsSeen.add(record.topic())) {
            LOG.warn(
                    "Skipping the records of topic {}, which the settings no longer name (they"
                            + " read {}): the Kafka source restored its partitions from a"
                            + " checkpoint or savepoint taken before, and Flink's KafkaSource reads"
                            + " restored partitions on (FLINK-34089). They change nothing and are"
                            + " counted in recordsOfRemovedTopics.",
                    record.topic(),
                    topics);
        }
    }
}
