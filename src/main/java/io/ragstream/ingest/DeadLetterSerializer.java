package io.ragstream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Dead letters as JSON: reason, detail, source position, and the original key and value in
 * base64 (they may not be valid UTF-8). The record keeps the original key.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
        ObjectNode node = JSON.createObjectNode()
                .put("reason", letter.reason().name())
                .put("detail", letter.detail())
                .put("topic", letter.topic())
                .put("partition", letter.partition())
                .put("offset", letter.offset());
        Base64.Encoder b64 = Base64.getEncoder();
        node.put("key", letter.key() == null ? null : b64.encodeToString(letter.key()));
        node.put("value", letter.value() == null ? null : b64.encodeToString(letter.value()));
        return new ProducerRecord<>(topic, letter.key(), node.toString().getBytes(StandardCharsets.UTF_8));
    }
}
