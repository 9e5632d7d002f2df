package io.ragstream.job;

import io.ragstream.chunk.Chunker;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbedDocuments;
import io.ragstream.embed.EmbeddingBatch;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.MicroBatchOperator;
import io.ragstream.embed.SplitRejectedChunks;
import io.ragstream.ingest.DeadLetter;
import io.ragstream.ingest.DeadLetterSerializer;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.ingest.DebeziumEventParser;
import io.ragstream.ingest.DocumentEventParser;
import io.ragstream.ingest.EventParser;
import io.ragstream.ingest.JsonLinesFormat;
import io.ragstream.ingest.KafkaRecord;
import io.ragstream.ingest.KafkaRecordDeserializer;
import io.ragstream.ingest.ParseDocuments;
import io.ragstream.sink.PgVectorSink;
import io.ragstream.sink.PgVectorSinkOptions;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The ragstream job: Kafka (or files) → parse → keyBy(document) → chunk and diff → micro-batch
 * → async embed → pgvector. {@link #build} takes its source and sinks so tests can plug in their
 * own; {@link #main} plugs in the production ones ({@code flink run ragstream.jar --config job.yaml}).
 */
public final class RagstreamJob {

    private RagstreamJob() {}

    public static void main(String[] args) throws Exception {
        RagstreamConfig config = JobArguments.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        buildFromConfig(env, config);
        env.execute("ragstream");
    }

    /** The job with its production source and sinks; creates the tables first if configured to. */
    public static void buildFromConfig(StreamExecutionEnvironment env, RagstreamConfig config) throws Exception {
        env.enableCheckpointing(config.get(RagstreamOptions.CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
        build(env, config, kafkaSource(config), pgVectorSink(config), deadLetterSink(config));
    }

    /** The same pipeline over JSONL / BEIR files, bounded, in batch mode: a backfill. */
    public static void buildBackfill(StreamExecutionEnvironment env, RagstreamConfig config, List<Path> files) throws Exception {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        FileSource<KafkaRecord> source = FileSource
                .forRecordStreamFormat(new JsonLinesFormat(), files.stream()
                        .map(f -> new org.apache.flink.core.fs.Path(f.toAbsolutePath().toUri()))
                        .toArray(org.apache.flink.core.fs.Path[]::new))
                .build();
        build(env, config, source, pgVectorSink(config), deadLetterSink(config));
    }

    private static PgVectorSink pgVectorSink(RagstreamConfig config) throws Exception {
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
        options.prepareTables();
        return new PgVectorSink(options);
    }

    public static void build(StreamExecutionEnvironment env, RagstreamConfig config,
                             Source<KafkaRecord, ?, ?> source, Sink<DocumentUpdate> sink,
                             Sink<DeadLetter> deadLetters) {
        EmbeddingOptions embedding = EmbeddingOptions.from(config);
        env.setParallelism(config.positive(RagstreamOptions.PARALLELISM));

        DataStream<KafkaRecord> records = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "Document events")
                .uid("documents-source");

        SingleOutputStreamOperator<DocumentEvent> events = records
                .process(parseDocuments(config))
                .uid("parse-documents").name("Parse document events");

        DataStream<DocumentUpdate> updates = events
                .keyBy(DocumentEvent::key)
                .process(new DocumentChunker(chunker(config, embedding), config.get(RagstreamOptions.STATE_DELETED_RETENTION)))
                .uid("chunk-documents").name("Chunk and diff documents");

        // keyBy keeps each document's updates in order into the batcher, and out of the
        // ordered async operator into the sink
        DataStream<EmbeddingBatch> batches = updates
                .keyBy(DocumentUpdate::key)
                .transform("Micro-batch chunks", TypeInformation.of(EmbeddingBatch.class),
                        new MicroBatchOperator(embedding.batchSize(), embedding.linger().toMillis()))
                .uid("micro-batch-chunks")
                .setParallelism(embedding.parallelism());

        SingleOutputStreamOperator<DocumentUpdate> embedded = AsyncDataStream
                .orderedWait(batches, new EmbedDocuments(embedding), embedding.timeout().toMillis(),
                        TimeUnit.MILLISECONDS, embedding.asyncCapacity())
                .uid("embed-chunks").name("Embed chunks (" + embedding.backend() + ")")
                .setParallelism(embedding.parallelism())
                .process(new SplitRejectedChunks())
                .uid("split-rejected-chunks").name("Dead-letter rejected chunks")
                .setParallelism(embedding.parallelism());

        events.getSideOutput(ParseDocuments.DEAD_LETTERS)
                .union(embedded.getSideOutput(ParseDocuments.DEAD_LETTERS))
                .sinkTo(deadLetters)
                .uid("dead-letter-sink").name("Dead-letter topic");

        embedded.keyBy(DocumentUpdate::key)
                .sinkTo(sink)
                .uid("pgvector-sink").name("pgvector upserts");
    }

    private static ParseDocuments parseDocuments(RagstreamConfig config) {
        int maxBytes = config.positive(RagstreamOptions.INGEST_MAX_DOCUMENT_BYTES);
        DebeziumEventParser cdc = new DebeziumEventParser(CdcSettings.columns(config), maxBytes);
        Map<String, EventParser> byTopic = new HashMap<>();
        config.get(RagstreamOptions.KAFKA_CDC_TOPICS).forEach(topic -> byTopic.put(topic, cdc));
        return new ParseDocuments(new DocumentEventParser(maxBytes), byTopic);
    }

    private static Chunker chunker(RagstreamConfig config, EmbeddingOptions embedding) {
        int size = config.positive(RagstreamOptions.CHUNK_SIZE);
        int overlap = config.get(RagstreamOptions.CHUNK_OVERLAP);
        if (overlap < 0 || overlap * 2 > size) {
            throw new ConfigException(RagstreamOptions.CHUNK_OVERLAP.key(),
                    "must be between 0 and half of chunk.size (" + size / 2 + "), was " + overlap);
        }
        return new Chunker(size, overlap, TokenCounters.forModel(embedding, size));
    }

    public static KafkaSource<KafkaRecord> kafkaSource(RagstreamConfig config) {
        List<String> topics = new ArrayList<>();
        topics.add(config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC));
        topics.addAll(config.get(RagstreamOptions.KAFKA_CDC_TOPICS));
        return KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS))
                // a pattern, not a list: topics that do not exist yet are picked up at discovery
                .setTopicPattern(Pattern.compile(topics.stream().map(Pattern::quote).collect(Collectors.joining("|"))))
                .setGroupId(config.get(RagstreamOptions.KAFKA_GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new KafkaRecordDeserializer())
                .setProperty("partition.discovery.interval.ms",
                        Long.toString(config.get(RagstreamOptions.KAFKA_PARTITION_DISCOVERY).toMillis()))
                .setProperty("commit.offsets.on.checkpoint", "true")
                .build();
    }

    public static KafkaSink<DeadLetter> deadLetterSink(RagstreamConfig config) {
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS))
                .setRecordSerializer(new DeadLetterSerializer(config.get(RagstreamOptions.KAFKA_DLQ_TOPIC)))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }
}
