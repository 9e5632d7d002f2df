package io.ragstream.ingest;

import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;

/**
 * Kafka's own split bytes, then the topic id. A split written by Kafka's serializer alone (state of
 * a ragstream before topic ids were kept) is read as it was, with no id.
 */
final class TopicIdSplitSerializer implements SimpleVersionedSerializer<KafkaPartitionSplit> {
    /** Far above the versions of Kafka's serializer, which this one reads as well. */
    static final int VERSION = 1_000;

    private final KafkaPartitionSplitSerializer kafka = new KafkaPartitionSplitSerializer();

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(KafkaPartitionSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeInt(kafka.getVersion());
        byte[] kafkaBytes = kafka.serialize(split);
        out.writeInt(kafkaBytes.length);
        out.write(kafkaBytes);
        String topicId = TopicIdSplit.topicIdOf(split);
        out.writeBoolean(topicId != null);
        if (topicId != null) {
            out.writeUTF(topicId);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public KafkaPartitionSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            return kafka.deserialize(version, serialized);
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        int kafkaVersion = in.readInt();
        byte[] kafkaBytes = new byte[in.readInt()];
        in.readFully(kafkaBytes);
        KafkaPartitionSplit split = kafka.deserialize(kafkaVersion, kafkaBytes);
        return in.readBoolean() ? new TopicIdSplit(split, in.readUTF()) : split;
    }
}
