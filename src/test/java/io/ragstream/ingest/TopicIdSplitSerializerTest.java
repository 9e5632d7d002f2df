package io.ragstream.ingest;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class TopicIdSplitSerializerTest {
    private static final TopicPartition PARTITION = new TopicPartition("documents", 3);
    private final TopicIdSplitSerializer serializer = new TopicIdSplitSerializer();

    @Test
    void aSplitKeepsItsTopicIdAndOffsets() throws IOException {
        KafkaPartitionSplit split =
                new TopicIdSplit(
                        new KafkaPartitionSplit(PARTITION, 42, 99), "f0Ml3yQ3T6uxPiKAmXqA5w");

        KafkaPartitionSplit read = roundTrip(split);

        assertThat(read).isEqualTo(split);
        assertThat(read.getStoppingOffset()).contains(99L);
        assertThat(TopicIdSplit.topicIdOf(read)).isEqualTo("f0Ml3yQ3T6uxPiKAmXqA5w");
    }

    @Test
    void aSplitWithoutATopicIdStaysWithout() throws IOException {
        KafkaPartitionSplit split =
                new KafkaPartitionSplit(PARTITION, KafkaPartitionSplit.EARLIEST_OFFSET);

        KafkaPartitionSplit read = roundTrip(split);

        assertThat(read).isEqualTo(split);
        assertThat(TopicIdSplit.topicIdOf(read)).isNull();
    }

    @Test
    void stateOfARagstreamBeforeTopicIdsIsReadAsItWas() throws IOException {
        KafkaPartitionSplitSerializer kafka = new KafkaPartitionSplitSerializer();
        KafkaPartitionSplit split = new KafkaPartitionSplit(PARTITION, 42);

        KafkaPartitionSplit read =
                serializer.deserialize(kafka.getVersion(), kafka.serialize(split));

        assertThat(read).isEqualTo(split);
        assertThat(TopicIdSplit.topicIdOf(read)).isNull();
        assertThat(serializer.getVersion()).isNotEqualTo(kafka.getVersion());
    }

    private KafkaPartitionSplit roundTrip(KafkaPartitionSplit split) throws IOException {
        return serializer.deserialize(serializer.getVersion(), serializer.serialize(split));
    }
}
