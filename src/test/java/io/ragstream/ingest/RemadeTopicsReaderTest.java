package io.ragstream.ingest;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RemadeTopicsReaderTest {
    private static final TopicPartition PARTITION = new TopicPartition("documents", 1);
    private static final String OLD = "AAAAAAAAAAAAAAAAAAAAAA";
    private static final String NEW = "BBBBBBBBBBBBBBBBBBBBBB";

    @Test
    void anOffsetInATopicMadeAgainIsReadFromTheNewTopicsStart() {
        KafkaPartitionSplit restored =
                new TopicIdSplit(new KafkaPartitionSplit(PARTITION, 42), OLD);

        KafkaPartitionSplit read = RemadeTopicsReader.inTopic(restored, NEW);

        assertThat(read.getTopicPartition()).isEqualTo(PARTITION);
        assertThat(read.getStartingOffset()).isEqualTo(KafkaPartitionSplit.EARLIEST_OFFSET);
        assertThat(read.getStoppingOffset()).isEmpty();
    }

    @Test
    void anOffsetInTheSameTopicOrOneNotKnownIsReadWhereItSays() {
        KafkaPartitionSplit restored =
                new TopicIdSplit(new KafkaPartitionSplit(PARTITION, 42), OLD);
        KafkaPartitionSplit fromBefore = new KafkaPartitionSplit(PARTITION, 42); // no id kept

        assertThat(RemadeTopicsReader.inTopic(restored, OLD)).isSameAs(restored);
        assertThat(RemadeTopicsReader.inTopic(restored, null))
                .as("the topic missing now, or the brokers not answering")
                .isSameAs(restored);
        assertThat(RemadeTopicsReader.inTopic(fromBefore, NEW)).isSameAs(fromBefore);
    }

    @Test
    void aSplitThatStartsAtTheBeginningOrAtAMarkerIsLeftAsItIs() {
        for (long start :
                new long[] {
                    0, KafkaPartitionSplit.EARLIEST_OFFSET, KafkaPartitionSplit.COMMITTED_OFFSET
                }) {
            KafkaPartitionSplit split =
                    new TopicIdSplit(new KafkaPartitionSplit(PARTITION, start), OLD);
            assertThat(RemadeTopicsReader.inTopic(split, NEW)).isSameAs(split);
        }
    }
}
