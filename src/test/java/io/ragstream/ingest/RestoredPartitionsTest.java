package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.testing.CapturedLogs;
import io.ragstream.testing.CapturedMetrics;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RestoredPartitions} in a real harness, across snapshots and restores. */
class RestoredPartitionsTest {
    private static final List<String> TOPICS = List.of("ragstream.documents", "ragstream.dlq");
    private static final String BROKERS = "kafka-1:9092";

    @Test
    void recordsOfATopicTheSettingsNoLongerNameAreSkippedCountedAndNamedOnce() throws Exception {
        CapturedMetrics metrics = new CapturedMetrics("restored");
        List<LogEvent> warnings =
                CapturedLogs.warnings(
                        RestoredPartitions.class,
                        () -> {
                            try (var harness = harness("cluster-a", metrics)) {
                                harness.open();
                                for (long offset = 0; offset < 3; offset++) {
                                    harness.processElement(record("old.documents", offset), 0L);
                                }
                                harness.processElement(record("old.cdc", 0), 0L);
                                harness.processElement(record("ragstream.documents", 0), 0L);
                                harness.processElement(record("ragstream.dlq", 0), 0L);

                                assertThat(harness.extractOutputValues())
                                        .extracting(KafkaRecord::topic)
                                        .containsExactly("ragstream.documents", "ragstream.dlq");
                            }
                        });
        assertThat(metrics.counter("recordsOfRemovedTopics")).isEqualTo(4);
        assertThat(warnings)
                .as("one warning a topic")
                .extracting(e -> e.getMessage().getFormattedMessage())
                .hasSize(2)
                .allSatisfy(m -> assertThat(m).contains("no longer name", "FLINK-34089"))
                .anySatisfy(m -> assertThat(m).startsWith("Skipping the records of topic old.cdc"));
    }

    @Test
    void offsetsOfAnotherKafkaClusterFailTheJobForGoodNamingTheBrokers() throws Exception {
        OperatorSubtaskState inClusterA = snapshotOf(opened(harness("cluster-a")));

        assertThatThrownBy(() -> restore(harness("cluster-b"), inClusterA))
                .isInstanceOf(SuppressRestartsException.class) // a restart restores them again
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'kafka.bootstrap-servers'")
                .hasMessageContaining("offsets in Kafka cluster cluster-a")
                .hasMessageContaining("the brokers at kafka-1:9092 are cluster cluster-b")
                .hasMessageContaining("kafka.group-id");
    }

    @Test
    void theSameClusterResumesAndAnUnknownOneKeepsTheRestoredClusterForTheNextRestore()
            throws Exception {
        OperatorSubtaskState inClusterA = snapshotOf(opened(harness("cluster-a")));

        OperatorSubtaskState again = snapshotOf(restore(harness("cluster-a"), inClusterA));
        // brokers that did not answer before the start: nothing to check, nothing forgotten
        OperatorSubtaskState unchecked = snapshotOf(restore(harness(null), again));

        assertThatThrownBy(() -> restore(harness("cluster-b"), unchecked))
                .rootCause()
                .hasMessageContaining("offsets in Kafka cluster cluster-a");
        restore(harness("cluster-a"), unchecked).close();
    }

    private static OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> harness(
            String clusterId) throws Exception {
        return harness(clusterId, new CapturedMetrics("restored"));
    }

    private static OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> harness(
            String clusterId, CapturedMetrics metrics) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new RestoredPartitions(TOPICS, BROKERS, clusterId)),
                metrics.environment());
    }

    private static OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> opened(
            OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> harness) throws Exception {
        harness.open();
        return harness;
    }

    private static OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> restore(
            OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> harness,
            OperatorSubtaskState state)
            throws Exception {
        harness.initializeState(state);
        harness.open();
        return harness;
    }

    /** Its state at a checkpoint; it is closed afterwards. */
    private static OperatorSubtaskState snapshotOf(
            OneInputStreamOperatorTestHarness<KafkaRecord, KafkaRecord> harness) throws Exception {
        try (harness) {
            return harness.snapshot(1L, 1L);
        }
    }

    private static KafkaRecord record(String topic, long offset) {
        return new KafkaRecord(
                topic,
                0,
                offset,
                0L,
                null,
                "{\"id\": \"a\", \"text\": \"x\"}".getBytes(StandardCharsets.UTF_8));
    }
}
