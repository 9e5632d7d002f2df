package io.ragstream.ingest;

import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Where document events come from and where bad ones go, as the settings say. */
public final class DocumentSources {

    private DocumentSources() {}

    /**
     * The topics the job reads: the documents topic, the CDC topics, and the dead-letter topic,
     * read back for the chunks a backend rejected.
     */
    static List<String> topics(RagstreamConfig config) {
        List<String> topics = new ArrayList<>();
        topics.add(config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC));
        topics.addAll(config.get(RagstreamOptions.KAFKA_CDC_TOPICS));
        topics.add(config.get(RagstreamOptions.KAFKA_DLQ_TOPIC));
        return topics;
    }

    /**
     * The job's {@link #topics}, from the committed offsets (earliest when none), each offset
     * checked against the topic as it is now ({@link CheckedKafkaReader}).
     */
    public static CheckedKafkaSource kafka(RagstreamConfig config) {
        List<String> topics = topics(config);
        KafkaSource<KafkaRecord> kafka =
                KafkaSource.<KafkaRecord>builder()
                        .setProperties(sourceProperties(config))
                        .setBootstrapServers(config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS))
                        // a pattern, not a list: topics that do not exist yet are picked up at
                        // discovery
                        .setTopicPattern(
                                Pattern.compile(
                                        topics.stream()
                                                .map(Pattern::quote)
                                                .collect(Collectors.joining("|"))))
                        .setGroupId(PipelineIdentity.consumerGroup(config))
                        .setStartingOffsets(
                                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                        .setDeserializer(new KafkaRecordDeserializer())
                        .build();
        return new CheckedKafkaSource(
                kafka,
                config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS),
                KafkaClientProperties.from(config));
    }

    /**
     * The source's client properties: the user's {@code kafka.properties.*}, then the job's own.
     */
    static Properties sourceProperties(RagstreamConfig config) {
        Properties props = KafkaClientProperties.from(config).applyTo(new Properties());
        props.setProperty(
                "partition.discovery.interval.ms",
                Long.toString(config.get(RagstreamOptions.KAFKA_PARTITION_DISCOVERY).toMillis()));
        props.setProperty("commit.offsets.on.checkpoint", "true");
        // a topic deleted on purpose must stay deleted: Flink's reader keeps fetching the
        // partitions it holds, and brokers that create topics on demand (Kafka's default) would
        // make it again, with their default partitions, before the operator can
        props.setProperty("allow.auto.create.topics", "false");
        // a producer's aborted transaction (an exactly-once Flink or Kafka Streams job, Debezium
        // under Connect's exactly-once support) must not reach the tables; Kafka's default reads it
        props.setProperty("isolation.level", "read_committed");
        return props;
    }

    /** JSONL / BEIR corpus files, bounded: a backfill. */
    public static FileSource<KafkaRecord> files(List<Path> files) {
        return FileSource.forRecordStreamFormat(
                        new JsonLinesFormat(),
                        files.stream()
                                .map(
                                        f ->
                                                new org.apache.flink.core.fs.Path(
                                                        f.toAbsolutePath().toUri()))
                                .toArray(org.apache.flink.core.fs.Path[]::new))
                .build();
    }

    /**
     * What {@link #kafka} restored, held to these settings; {@code clusterId} is the brokers' (null
     * when unknown).
     */
    public static RestoredPartitions restoredPartitions(RagstreamConfig config, String clusterId) {
        return new RestoredPartitions(
                topics(config), config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS), clusterId);
    }

    /** The parser for each topic: Debezium on the CDC topics, document events elsewhere. */
    public static ParseDocuments parser(RagstreamConfig config) {
        IngestLimits limits = IngestLimits.from(config);
        CdcColumns columns = CdcColumns.from(config);
        List<String> cdcTopics = config.get(RagstreamOptions.KAFKA_CDC_TOPICS);
        if (!cdcTopics.isEmpty()) {
            limits.requireTenantColumn(columns.tenantColumn(), "the change events on " + cdcTopics);
        }
        JobTopics.of(config); // legal names, and no output topic also an input
        String dlqTopic = config.get(RagstreamOptions.KAFKA_DLQ_TOPIC);
        DebeziumEventParser cdc = new DebeziumEventParser(columns, limits);
        Map<String, EventParser> byTopic = new HashMap<>();
        cdcTopics.forEach(topic -> byTopic.put(topic, cdc));
        byTopic.put(dlqTopic, new RejectedChunkParser());
        return new ParseDocuments(new DocumentEventParser(limits), byTopic, limits);
    }

    /**
     * The dead-letter topic; at least once, so a letter is never lost (a repeat is harmless). The
     * request size is set, not left to the client's default, because the serializer sizes every
     * letter to fit it.
     */
    public static KafkaSink<DeadLetter> deadLetters(RagstreamConfig config) {
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS))
                .setRecordSerializer(DeadLetterSerializer.from(config))
                .setKafkaProducerConfig(deadLetterProperties(config))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }

    /**
     * The dead-letter producer's properties: the user's {@code kafka.properties.*}, then the job's
     * own.
     */
    static Properties deadLetterProperties(RagstreamConfig config) {
        Properties props = KafkaClientProperties.from(config).applyTo(new Properties());
        props.setProperty(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(DeadLetterSerializer.MAX_REQUEST_BYTES));
        return props;
    }
}
