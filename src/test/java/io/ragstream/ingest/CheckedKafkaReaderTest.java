package io.ragstream.ingest;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CheckedKafkaReaderTest {
    private static final TopicPartition PARTITION = new TopicPartition("documents", 1);
    private static final String OLD = "AAAAAAAAAAAAAAAAAAAAAA";
    private static final String NEW = "BBBBBBBBBBBBBBBBBBBBBB";

    @Test
    void anOffsetInATopicMadeAgainIsReadFromTheNewTopicsStart() {
        KafkaPartitionSplit restored =
                new TopicIdSplit(new KafkaPartitionSplit(PARTITION, 42), OLD);

        KafkaPartitionSplit read = CheckedKafkaReader.inTopic(restored, NEW);

        assertThat(read.getTopicPartition()).isEqualTo(PARTITION);
        assertThat(read.getStartingOffset()).isEqualTo(KafkaPartitionSplit.EARLIEST_OFFSET);
        assertThat(read.getStoppingOffset()).isEmpty();
    }

    @Test
    void anOffsetInTheSameTopicOrOneNotKnownIsReadWhereItSays() {
        KafkaPartitionSplit restored =
                new TopicIdSplit(new KafkaPartitionSplit(PARTITION, 42), OLD);
        KafkaPartitionSplit fromBefore = new KafkaPartitionSplit(PARTITION, 42); // no id kept

        assertThat(CheckedKafkaReader.inTopic(restored, OLD)).isSameAs(restored);
        assertThat(CheckedKafkaReader.inTopic(restored, null))
                .as("the topic missing now, or the brokers not answering")
                .isSameAs(restored);
        assertThat(CheckedKafkaReader.inTopic(fromBefore, NEW)).isSameAs(fromBefore);
    }

    @Test
    void aSplitThatStartsAtTheBeginningOrAtAMarkerIsLeftAsItIs() {
        for (long start :
                new long[] {
                    0, KafkaPartitionSplit.EARLIEST_OFFSET, KafkaPartitionSplit.COMMITTED_OFFSET
                }) {
            KafkaPartitionSplit split =
                    new TopicIdSplit(new KafkaPartitionSplit(PARTITION, start), OLD);
            assertThat(CheckedKafkaReader.inTopic(split, NEW)).isSameAs(split);
        }
    }

    @Test
    void anOffsetBelowThePartitionsEarliestCountsTheRecordsTheRetentionDeleted() {
        KafkaPartitionSplit restored = new KafkaPartitionSplit(PARTITION, 42);

        assertThat(CheckedKafkaReader.expiredUnread(restored, 50L)).isEqualTo(8);
        assertThat(CheckedKafkaReader.expiredUnread(restored, 42L)).isZero();
        assertThat(CheckedKafkaReader.expiredUnread(restored, 0L)).isZero();
        assertThat(CheckedKafkaReader.expiredUnread(restored, null)).as("not known").isZero();
        assertThat(
                        CheckedKafkaReader.expiredUnread(
                                new KafkaPartitionSplit(
                                        PARTITION, KafkaPartitionSplit.EARLIEST_OFFSET),
                                50L))
                .isZero();
    }
}
