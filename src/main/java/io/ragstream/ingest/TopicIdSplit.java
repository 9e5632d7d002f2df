package io.ragstream.ingest;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;

/**
 * A Kafka partition and its offset, with the id of the topic that offset is a position in. A topic
 * deleted and made again under the same name has a new id, and its offsets start again at 0.
 */
final class TopicIdSplit extends KafkaPartitionSplit {
    private final String topicId;

    /**
     * @param topicId the topic's id, null where not known
     */
    TopicIdSplit(KafkaPartitionSplit split, String topicId) {
        super(
                split.getTopicPartition(),
                split.getStartingOffset(),
                split.getStoppingOffset().orElse(NO_STOPPING_OFFSET));
        this.topicId = topicId;
    }

    /** The topic's id where known, else null. */
    String topicId() {
        return topicId;
    }

    /** The id a split holds: none for a plain Kafka split. */
    static String topicIdOf(KafkaPartitionSplit split) {
        return split instanceof TopicIdSplit s ? s.topicId : null;
    }

    @Override
    public String toString() {
        return super.toString() + " of topic id " + topicId;
    }
}
