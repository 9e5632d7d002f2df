package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Dead letters as JSON: reason, detail, source position, and the original key and value in base64
 * (they may not be valid UTF-8), each cut to {@code maxValueBytes} with its original size and
 * SHA-256. Headers follow Kafka Connect's dead-letter queue ({@code __connect.errors.*}). Whatever
 * the input, a letter stays under {@link #MAX_REQUEST_BYTES}: a letter the producer refused would
 * fail the task, replay the record and restart the job for ever.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The dead-letter producer's {@code max.request.size}. */
    public static final int MAX_REQUEST_BYTES = 1024 * 1024;

    /** Longest detail kept, in chars: a parser's message may quote the input. */
    static final int MAX_DETAIL_CHARS = 2000;

    /** Longest source topic kept (Kafka's own names have at most 249 chars). */
    static final int MAX_TOPIC_CHARS = 255;

    /**
     * Room for everything but the key and value excerpts: the detail and topic twice (in the body,
     * where JSON may escape a char into 6 bytes, and in a header, up to 3 bytes a char), plus field
     * and header names, numbers, hashes, and Kafka's record and batch framing.
     */
    static final int RESERVED_BYTES = 9 * (MAX_DETAIL_CHARS + MAX_TOPIC_CHARS) + 4096;

    public static final String HEADER_TOPIC = "__connect.errors.topic";
    public static final String HEADER_PARTITION = "__connect.errors.partition";
    public static final String HEADER_OFFSET = "__connect.errors.offset";
    public static final String HEADER_MESSAGE = "__connect.errors.exception.message";
    public static final String HEADER_REASON = "ragstream.errors.reason";

    private final String topic;
    private final int maxValueBytes;
    private final JobTopics.Output output; // null: the topic is left as it is

    public DeadLetterSerializer(String topic, int maxValueBytes) {
        this(topic, maxValueBytes, null);
    }

    private DeadLetterSerializer(String topic, int maxValueBytes, JobTopics.Output output) {
        if (maxValueBytes <= 0 || maxValueBytes > largestMaxValueBytes(MAX_REQUEST_BYTES)) {
            throw new IllegalArgumentException("maxValueBytes out of range: " + maxValueBytes);
        }
        this.topic = topic;
        this.maxValueBytes = maxValueBytes;
        this.output = output;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        if (output != null) {
            output.makeIfMissing();
        }
    }

    /**
     * The serializer for {@code kafka.dlq-topic}, its cap checked against what the producer can
     * send.
     */
    public static DeadLetterSerializer from(RagstreamConfig config) {
        int cap = config.get(RagstreamOptions.KAFKA_DLQ_MAX_VALUE_BYTES);
        int largest = largestMaxValueBytes(MAX_REQUEST_BYTES);
        if (cap <= 0 || cap > largest) {
            throw new ConfigException(
                    RagstreamOptions.KAFKA_DLQ_MAX_VALUE_BYTES.key(),
                    "must be between 1 and "
                            + largest
                            + ", was "
                            + cap
                            + " (a dead letter carries the key and the value up to this size, "
                            + "in base64, and must fit the producer's max.request.size of "
                            + MAX_REQUEST_BYTES
                            + " bytes)");
        }
        String topic = config.get(RagstreamOptions.KAFKA_DLQ_TOPIC);
        return new DeadLetterSerializer(
                topic,
                cap,
                new JobTopics.Output(
                        config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS),
                        KafkaClientProperties.from(config),
                        topic,
                        RagstreamOptions.KAFKA_DLQ_TOPIC.key()));
    }

    /** The largest cap whose worst letter fits {@code maxRequestBytes}. */
    static int largestMaxValueBytes(int maxRequestBytes) {
        int cap =
                (int)
                        ((maxRequestBytes - RESERVED_BYTES)
                                * 3L
                                / 11); // 4/3 value + 4/3 key + the record key
        while (cap > 0 && worstCaseBytes(cap) > maxRequestBytes) {
            cap--;
        }
        return cap;
    }

    /**
     * An upper bound of a letter's size on the wire: key and value in base64, the key once more as
     * the record key.
     */
    static long worstCaseBytes(int maxValueBytes) {
        long base64 = 4L * ((maxValueBytes + 2L) / 3);
        return 2 * base64 + maxValueBytes + RESERVED_BYTES;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            DeadLetter letter, KafkaSinkContext context, Long timestamp) {
        String detail = shorten(letter.detail(), MAX_DETAIL_CHARS);
        String source = shorten(letter.topic(), MAX_TOPIC_CHARS);
        ObjectNode node =
                JSON.createObjectNode()
                        .put("reason", letter.reason().name())
                        .put("detail", detail)
                        .put("topic", source)
                        .put("partition", letter.partition())
                        .put("offset", letter.offset());
        ByteExcerpt key = putBytes(node, "key", letter.key());
        putBytes(node, "value", letter.value());

        // as Kafka Connect writes them: strings in UTF-8, numbers in decimal
        RecordHeaders headers = new RecordHeaders();
        addHeader(headers, HEADER_TOPIC, source);
        addHeader(headers, HEADER_PARTITION, Integer.toString(letter.partition()));
        addHeader(headers, HEADER_OFFSET, Long.toString(letter.offset()));
        addHeader(headers, HEADER_MESSAGE, detail);
        addHeader(headers, HEADER_REASON, letter.reason().name());
        // the original key keeps a letter in its document's partition, unless it is too long to
        // carry
        byte[] recordKey = key == null || key.truncated() ? null : key.head();
        return new ProducerRecord<>(topic, null, null, recordKey, utf8(node.toString()), headers);
    }

    /**
     * {@code name} (base64 of at most the cap), {@code nameBytes}, {@code nameSha256}, {@code
     * nameTruncated}.
     */
    private ByteExcerpt putBytes(ObjectNode node, String name, byte[] bytes) {
        ByteExcerpt excerpt = bytes == null ? null : ByteExcerpt.of(bytes, maxValueBytes);
        node.put(name, excerpt == null ? null : Base64.getEncoder().encodeToString(excerpt.head()));
        node.put(name + "Bytes", excerpt == null ? null : excerpt.size());
        node.put(name + "Sha256", excerpt == null ? null : excerpt.sha256());
        node.put(name + "Truncated", excerpt != null && excerpt.truncated());
        return excerpt;
    }

    /** At most {@code max} chars, ending in an ellipsis when cut; never splits a surrogate pair. */
    static String shorten(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "\u2026";
    }

    private static void addHeader(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, utf8(value));
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
