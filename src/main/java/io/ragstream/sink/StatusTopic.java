package io.ragstream.sink;

import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.ingest.JobTopics;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.datastream.DataStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code kafka.status-topic}: one JSON record per document version once its rows are committed, so
 * upstream systems learn when a document is searchable. It hangs off the sink's committer, which
 * passes a committable on only after its commit; a write that rolled back never gets a record.
 * Delivery is at least once: after a restore a record may come twice. The record goes into the job
 * graph, so it carries the {@code kafka.properties.*} resolved; their {@code toString()} hides
 * secret values.
 */
public record StatusTopic(
        String bootstrapServers, String topic, KafkaClientProperties kafkaProperties)
        implements Serializable {
    /** The status producer's {@code max.request.size}. */
    static final int MAX_REQUEST_BYTES = 1024 * 1024;

    public static StatusTopic from(RagstreamConfig config) {
        return new StatusTopic(
                config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS),
                config.get(RagstreamOptions.KAFKA_STATUS_TOPIC),
                KafkaClientProperties.from(config));
    }

    /**
     * The status producer's properties: the user's {@code kafka.properties.*}, then the job's own.
     */
    Properties producerProperties() {
        Properties props = kafkaProperties.applyTo(new Properties());
        // stated, not the client's default: a status record (ids are capped) is a few KB at most
        props.setProperty(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_REQUEST_BYTES));
        return props;
    }

    void addTo(DataStream<CommittableMessage<SinkCommittable>> committed) {
        committed
                .flatMap(new CommittedDocuments())
                .name("Committed documents")
                .uid("committed-documents")
                .sinkTo(
                        KafkaSink.<Record>builder()
                                .setBootstrapServers(bootstrapServers)
                                .setRecordSerializer(
                                        new RecordSerializer(
                                                new JobTopics.Output(
                                                        bootstrapServers,
                                                        kafkaProperties,
                                                        topic,
                                                        RagstreamOptions.KAFKA_STATUS_TOPIC.key())))
                                .setKafkaProducerConfig(producerProperties())
                                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                                .build())
                .name("Status topic")
                .uid("status-topic");
    }

    /** A status record: the document, and when the committer saw its rows committed. */
    record Record(DocumentStatus document, long committedAtMillis) {}

    private static final class CommittedDocuments
            implements FlatMapFunction<CommittableMessage<SinkCommittable>, Record> {
        @Override
        public void flatMap(
                CommittableMessage<SinkCommittable> message,
                org.apache.flink.util.Collector<Record> out) {
            if (message instanceof CommittableWithLineage<SinkCommittable> committed) {
                long now = System.currentTimeMillis();
                committed
                        .getCommittable()
                        .documents()
                        .forEach(d -> out.collect(new Record(d, now)));
            }
        }
    }

    private static final class RecordSerializer implements KafkaRecordSerializationSchema<Record> {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final JobTopics.Output output;

        RecordSerializer(JobTopics.Output output) {
            this.output = output;
        }

        @Override
        public void open(
                SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
            output.makeIfMissing();
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(
                Record record, KafkaSinkContext context, Long timestamp) {
            DocumentStatus d = record.document();
            Map<String, Object> value = new LinkedHashMap<>();
            value.put("tenant", d.tenant());
            value.put("id", d.docId());
            value.put("version", d.version());
            value.put("deleted", d.deleted());
            value.put("chunks", d.chunks());
            value.put("embedded", d.embedded());
            value.put("reused", d.reused());
            value.put(
                    "committed_at",
                    java.time.Instant.ofEpochMilli(record.committedAtMillis()).toString());
            try {
                return new ProducerRecord<>(
                        output.topic(),
                        (d.tenant() + "/" + d.docId()).getBytes(StandardCharsets.UTF_8),
                        JSON.writeValueAsBytes(value));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write the status of " + d, e);
            }
        }
    }
}
