package io.ragstream.job;

import io.ragstream.chunk.Chunker;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.chunk.TokenCounter;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.StoredIndex;
import io.ragstream.embed.EmbedDocuments;
import io.ragstream.embed.EmbeddingBatch;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.MicroBatchOperator;
import io.ragstream.embed.ServedModelCheck;
import io.ragstream.embed.SplitRejectedChunks;
import io.ragstream.ingest.DeadLetter;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.ingest.DocumentSources;
import io.ragstream.ingest.IngestLimits;
import io.ragstream.ingest.KafkaConnectionCheck;
import io.ragstream.ingest.KafkaRecord;
import io.ragstream.ingest.ParseDocuments;
import io.ragstream.ingest.TableSource;
import io.ragstream.sink.PgVectorSink;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.sink.StoredVectors;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ragstream job: Kafka (or files, or a table) → parse → keyBy(document) → chunk and diff →
 * micro-batch → async embed → pgvector. {@link #build} takes its source and sinks so tests can plug
 * in their own; {@link #main} plugs in the production ones ({@code flink run ragstream.jar --config
 * job.yaml}).
 */
public final class RagstreamJob {
    private RagstreamJob() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        RagstreamConfig config =
                followFlinkParallelism(JobArguments.parse(args), env.getParallelism());
        buildFromConfig(env, config);
        env.execute("ragstream");
    }

    /**
     * On a cluster, the parallelism settings left unset follow Flink's own ({@code flink run -p},
     * {@code parallelism.default}, the Kubernetes operator's {@code spec.job.parallelism}), and
     * {@code embedding.parallelism} follows the job's, up to the request slots of a pool of servers
     * (each subtask needs one): a rescale then changes one setting, as with any Flink job. A local
     * run keeps the options' defaults: its environment's parallelism is only the core count.
     */
    static RagstreamConfig followFlinkParallelism(RagstreamConfig config, int flinkParallelism) {
        if (!config.isSet(RagstreamOptions.PARALLELISM) && flinkParallelism > 0) {
            config =
                    config.with(
                            RagstreamOptions.PARALLELISM.key(), String.valueOf(flinkParallelism));
        }
        if (!config.isSet(RagstreamOptions.EMBEDDING_PARALLELISM)) {
            int embedding =
                    Math.min(
                            config.positive(RagstreamOptions.PARALLELISM),
                            EmbeddingOptions.from(config).mostSubtasks());
            config =
                    config.with(
                            RagstreamOptions.EMBEDDING_PARALLELISM.key(),
                            String.valueOf(embedding));
        }
        return config;
    }

    /** The job with its production source and sinks; creates the tables first if configured to. */
    public static void buildFromConfig(StreamExecutionEnvironment env, RagstreamConfig config)
            throws Exception {
        // 10 ms is the least interval Flink takes
        env.enableCheckpointing(
                config.atLeast(RagstreamOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(10))
                        .toMillis(),
                CheckpointingMode.EXACTLY_ONCE);
        String kafkaCluster = KafkaConnectionCheck.check(config).orElse(null);
        DataStream<KafkaRecord> records =
                documentEvents(env, config, DocumentSources.kafka(config))
                        .process(DocumentSources.restoredPartitions(config, kafkaCluster))
                        .uid("restored-partitions")
                        .name("Check restored partitions");
        build(
                config,
                records,
                DocumentSources.parser(config),
                pgVectorSink(config),
                DocumentSources.deadLetters(config));
    }

    /**
     * The same pipeline over JSONL / BEIR files, bounded, in batch mode: a backfill. Into a new
     * table the HNSW index is built after the load: run {@link #finishBackfill} when the job is
     * done.
     */
    public static void buildBackfill(
            StreamExecutionEnvironment env, RagstreamConfig config, List<Path> files)
            throws Exception {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        Sink<DocumentUpdate> sink =
                PgVectorSink.forLoad(config, EmbeddingOptions.from(config).dimension());
        build(env, config, DocumentSources.files(files), sink, DocumentSources.deadLetters(config));
    }

    /**
     * The same pipeline over the rows of a database table (flink-connector-jdbc's JdbcSource, in
     * parallel key ranges), bounded, in batch mode: a backfill from a table. The table and its
     * columns are checked before anything is created; run {@link #finishBackfill} when the job is
     * done.
     *
     * @return what is read, for the operator
     */
    public static TableSource buildTableBackfill(
            StreamExecutionEnvironment env, RagstreamConfig config, String table) throws Exception {
        TableSource rows = TableSource.from(config, table);
        buildTableBackfill(env, config, rows);
        return rows;
    }

    /** The same over a table already checked ({@link TableSource#from}). */
    public static void buildTableBackfill(
            StreamExecutionEnvironment env, RagstreamConfig config, TableSource rows)
            throws Exception {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        Sink<DocumentUpdate> sink =
                PgVectorSink.forLoad(config, EmbeddingOptions.from(config).dimension());
        build(
                env,
                config,
                rows.source(),
                rows.parser(IngestLimits.from(config)),
                sink,
                DocumentSources.deadLetters(config));
    }

    /** Builds the HNSW index a backfill into a new table left for afterwards. */
    public static void finishBackfill(RagstreamConfig config) throws Exception {
        PgVectorSink.finishLoad(config, EmbeddingOptions.from(config).dimension());
    }

    private static Sink<DocumentUpdate> pgVectorSink(RagstreamConfig config) throws Exception {
        return PgVectorSink.fromConfig(config, EmbeddingOptions.from(config).dimension());
    }

    public static void build(
            StreamExecutionEnvironment env,
            RagstreamConfig config,
            Source<KafkaRecord, ?, ?> source,
            Sink<DocumentUpdate> sink,
            Sink<DeadLetter> deadLetters) {
        build(env, config, source, DocumentSources.parser(config), sink, deadLetters);
    }

    /** The same with a parser of the source's own (a table's rows). */
    public static void build(
            StreamExecutionEnvironment env,
            RagstreamConfig config,
            Source<KafkaRecord, ?, ?> source,
            ParseDocuments parser,
            Sink<DocumentUpdate> sink,
            Sink<DeadLetter> deadLetters) {
        build(config, documentEvents(env, config, source), parser, sink, deadLetters);
    }

    /** The records of the source, at the job's parallelism, which every operator after takes. */
    private static DataStream<KafkaRecord> documentEvents(
            StreamExecutionEnvironment env,
            RagstreamConfig config,
            Source<KafkaRecord, ?, ?> source) {
        env.setParallelism(config.positive(RagstreamOptions.PARALLELISM));
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "Document events")
                .uid("documents-source");
    }

    private static void build(
            RagstreamConfig config,
            DataStream<KafkaRecord> records,
            ParseDocuments parser,
            Sink<DocumentUpdate> sink,
            Sink<DeadLetter> deadLetters) {
        EmbeddingOptions embedding = EmbeddingOptions.from(config);
        checkServedModel(config, embedding);

        SingleOutputStreamOperator<DocumentEvent> events =
                records.process(parser).uid("parse-documents").name("Parse document events");

        BroadcastStream<DocumentEvent> truncates =
                events.getSideOutput(ParseDocuments.TRUNCATES).broadcast(DocumentChunker.TRUNCATES);
        DataStream<DocumentUpdate> updates =
                events.keyBy(DocumentEvent::key)
                        .connect(truncates)
                        .process(
                                new DocumentChunker(
                                        chunker(config, embedding),
                                        config.get(RagstreamOptions.STATE_DELETED_RETENTION),
                                        StoredIndex.of(config)))
                        .uid("chunk-documents")
                        .name("Chunk and diff documents");

        // keyBy keeps each document's updates in order into the batcher, and out of the
        // ordered async operator into the sink
        DataStream<EmbeddingBatch> batches =
                updates.keyBy(DocumentUpdate::key)
                        .transform(
                                "Micro-batch chunks",
                                TypeInformation.of(EmbeddingBatch.class),
                                new MicroBatchOperator(
                                        embedding.batchSize(), embedding.linger().toMillis()))
                        .uid("micro-batch-chunks")
                        .setParallelism(embedding.parallelism());

        SingleOutputStreamOperator<DocumentUpdate> embedded =
                AsyncDataStream.orderedWait(
                                batches,
                                new EmbedDocuments(embedding),
                                embedding.timeout().toMillis(),
                                TimeUnit.MILLISECONDS,
                                embedding.asyncCapacity())
                        .uid("embed-chunks")
                        .name("Embed chunks (" + embedding.backend() + ")")
                        .setParallelism(embedding.parallelism())
                        .process(new SplitRejectedChunks())
                        .uid("split-rejected-chunks")
                        .name("Dead-letter rejected chunks")
                        .setParallelism(embedding.parallelism());

        events.getSideOutput(ParseDocuments.DEAD_LETTERS)
                .union(embedded.getSideOutput(ParseDocuments.DEAD_LETTERS))
                .sinkTo(deadLetters)
                .uid("dead-letter-sink")
                .name("Dead-letter topic");

        embedded.keyBy(DocumentUpdate::key)
                .sinkTo(sink)
                .uid("pgvector-sink")
                .name("pgvector upserts");
    }

    /**
     * Refuses embedding endpoints that serve another model than the one that built the configured
     * tables, or than each other ({@link ServedModelCheck}): the job and serve-search check it
     * before they start.
     */
    public static void checkServedModel(RagstreamConfig config, EmbeddingOptions embedding) {
        ServedModelCheck.check(
                embedding,
                config.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE),
                () ->
                        StoredVectors.sample(
                                PgVectorSinkOptions.from(config, embedding.dimension()),
                                ServedModelCheck.STORED_CHUNKS));
    }

    /**
     * The chunker the job runs, counting in the model's tokens; the benches chunk with it too, so
     * their chunks are the job's.
     */
    public static Chunker chunker(RagstreamConfig config, EmbeddingOptions embedding) {
        int size = config.positive(RagstreamOptions.CHUNK_SIZE);
        int maxBytes = config.get(RagstreamOptions.CHUNK_MAX_BYTES);
        if (maxBytes < Chunker.MIN_MAX_BYTES) {
            throw new ConfigException(
                    RagstreamOptions.CHUNK_MAX_BYTES.key(),
                    "must be at least "
                            + Chunker.MIN_MAX_BYTES
                            + " bytes (a chunk holds a few words of any script), was "
                            + maxBytes);
        }
        TokenCounter tokens = TokenCounters.forModel(embedding, size);
        try {
            return new Chunker(size, config.get(RagstreamOptions.CHUNK_OVERLAP), maxBytes, tokens);
        } catch (
                IllegalArgumentException
                        e) { // the chunker checks the overlap; the user needs the key
            throw new ConfigException(RagstreamOptions.CHUNK_OVERLAP.key(), e.getMessage());
        }
    }
}
