package io.ragstream.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Every ragstream setting: its key, type, default and description in one place. */
public final class RagstreamOptions {

    private RagstreamOptions() {}

    // ---- kafka ----
    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            ConfigOptions.key("kafka.bootstrap-servers")
                    .stringType()
                    .defaultValue("127.0.0.1:9092")
                    .withDescription(
                            "Kafka brokers to read documents from and write dead letters to.");
    public static final ConfigOption<String> KAFKA_DOCUMENTS_TOPIC =
            ConfigOptions.key("kafka.documents-topic")
                    .stringType()
                    .defaultValue("ragstream.documents")
                    .withDescription("Topic of document events (JSON, key tenant/id).");
    public static final ConfigOption<List<String>> KAFKA_CDC_TOPICS =
            ConfigOptions.key("kafka.cdc-topics")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Debezium change-event topics.");
    public static final ConfigOption<String> KAFKA_DLQ_TOPIC =
            ConfigOptions.key("kafka.dlq-topic")
                    .stringType()
                    .defaultValue("ragstream.dlq")
                    .withDescription(
                            "Dead-letter topic: bad input with its bytes, position and a reason.");
    public static final ConfigOption<String> KAFKA_STATUS_TOPIC =
            ConfigOptions.key("kafka.status-topic")
                    .stringType()
                    .defaultValue("ragstream.status")
                    .withDescription("One record per document once its rows are committed.");
    public static final ConfigOption<String> KAFKA_GROUP_ID =
            ConfigOptions.key("kafka.group-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Consumer group; with no committed position it starts from the earliest offset. "
                                    + "Default: ragstream-<pipeline id>, one of the pipeline's own (its topics, database, "
                                    + "tables, model and quantization), so that a new pipeline reads every document.");
    public static final ConfigOption<Duration> KAFKA_PARTITION_DISCOVERY =
            ConfigOptions.key("kafka.partition-discovery-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription(
                            "How often new partitions (and topics that appear later) are picked up.");

    // ---- CDC (Debezium) tables: which columns make a document ----
    public static final ConfigOption<String> CDC_ID_COLUMN =
            ConfigOptions.key("cdc.id-column")
                    .stringType()
                    .defaultValue("id")
                    .withDescription("Column holding the document id.");
    public static final ConfigOption<List<String>> CDC_TEXT_COLUMNS =
            ConfigOptions.key("cdc.text-columns")
                    .stringType()
                    .asList()
                    .defaultValues("title", "text")
                    .withDescription(
                            "Columns joined by a blank line into the text (missing ones skipped).");
    public static final ConfigOption<String> CDC_TENANT_COLUMN =
            ConfigOptions.key("cdc.tenant-column")
                    .stringType()
                    .defaultValue("tenant")
                    .withDescription("Column holding the tenant (absent: default).");
    public static final ConfigOption<String> CDC_METADATA_COLUMN =
            ConfigOptions.key("cdc.metadata-column")
                    .stringType()
                    .defaultValue("metadata")
                    .withDescription(
                            "Column holding a JSON object (or a string of one) stored as metadata.");

    // ---- backfill from a database table (run --backfill-table) ----
    public static final ConfigOption<String> BACKFILL_SPLIT_COLUMN =
            ConfigOptions.key("backfill.split-column")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Integer column (smallint, integer, bigint) whose min..max range is cut into "
                                    + "backfill.splits parallel reads; default: cdc.id-column.");
    public static final ConfigOption<Integer> BACKFILL_SPLITS =
            ConfigOptions.key("backfill.splits")
                    .intType()
                    .defaultValue(8)
                    .withDescription(
                            "How many key ranges the table is read in; the source's subtasks take them in "
                                    + "turn (rows whose split column is NULL are read as one range more).");
    public static final ConfigOption<Integer> BACKFILL_FETCH_SIZE =
            ConfigOptions.key("backfill.fetch-size")
                    .intType()
                    .defaultValue(500)
                    .withDescription(
                            "Rows fetched from the database per round trip (a cursor, so a range never "
                                    + "has to fit in memory).");
    public static final ConfigOption<String> BACKFILL_VERSION_COLUMN =
            ConfigOptions.key("backfill.version-column")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Integer column holding each row's version; default none: rows carry no "
                                    + "version, like a JSONL document without one.");
    public static final ConfigOption<String> BACKFILL_URL =
            ConfigOptions.key("backfill.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "JDBC URL of the PostgreSQL database the table is in; default: postgres.url.");
    public static final ConfigOption<String> BACKFILL_USER =
            ConfigOptions.key("backfill.user")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Its user; default: postgres.user.");
    public static final ConfigOption<String> BACKFILL_PASSWORD =
            ConfigOptions.key("backfill.password")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Its password; default: postgres.password. Use ${ENV} to keep it out of the file.");

    // ---- postgres ----
    public static final ConfigOption<String> POSTGRES_URL =
            ConfigOptions.key("postgres.url")
                    .stringType()
                    .defaultValue("jdbc:postgresql://127.0.0.1:5432/ragstream")
                    .withDescription("JDBC URL of the PostgreSQL database with pgvector.");
    public static final ConfigOption<String> POSTGRES_USER =
            ConfigOptions.key("postgres.user")
                    .stringType()
                    .defaultValue("ragstream")
                    .withDescription("Database user.");
    public static final ConfigOption<String> POSTGRES_PASSWORD =
            ConfigOptions.key("postgres.password")
                    .stringType()
                    .defaultValue("${RAGSTREAM_PG_PASSWORD}")
                    .withDescription("Database password; use ${ENV} to keep it out of the file.");
    public static final ConfigOption<String> POSTGRES_CHUNKS_TABLE =
            ConfigOptions.key("postgres.chunks-table")
                    .stringType()
                    .defaultValue("ragstream_chunks")
                    .withDescription("Table of chunks and their embeddings.");
    public static final ConfigOption<String> POSTGRES_DOCUMENTS_TABLE =
            ConfigOptions.key("postgres.documents-table")
                    .stringType()
                    .defaultValue("ragstream_documents")
                    .withDescription("Table of documents: version, chunk count, deleted flag.");
    public static final ConfigOption<Boolean> POSTGRES_CREATE_TABLES =
            ConfigOptions.key("postgres.create-tables")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Create the tables and the HNSW index when they are missing.");
    public static final ConfigOption<Boolean> POSTGRES_ALLOW_UNSAFE_PGVECTOR =
            ConfigOptions.key("postgres.allow-unsafe-pgvector")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Start the job on pgvector below 0.8.4 with a warning instead of refusing: "
                                    + "older versions can corrupt or fail HNSW indexes under deletes, updates and "
                                    + "concurrent inserts (fixed in 0.8.3 and 0.8.4) and overflow a buffer in parallel "
                                    + "HNSW builds (CVE-2026-3172, fixed in 0.8.2).");
    public static final ConfigOption<Duration> POSTGRES_CONNECT_TIMEOUT =
            ConfigOptions.key("postgres.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "How long opening a connection may take (whole seconds, at least 1).");
    public static final ConfigOption<Duration> POSTGRES_SOCKET_TIMEOUT =
            ConfigOptions.key("postgres.socket-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(3))
                    .withDescription(
                            "How long a connection may wait for the server's next bytes before it is "
                                    + "taken as dead (a half-open connection, a black-holed route); whole seconds, longer "
                                    + "than sink.statement-timeout.");
    public static final ConfigOption<Integer> HNSW_M =
            ConfigOptions.key("postgres.hnsw.m")
                    .intType()
                    .defaultValue(16)
                    .withDescription(
                            "HNSW index: max connections per layer (pgvector's m, 2 to 100).");
    public static final ConfigOption<Integer> HNSW_EF_CONSTRUCTION =
            ConfigOptions.key("postgres.hnsw.ef-construction")
                    .intType()
                    .defaultValue(64)
                    .withDescription(
                            "HNSW index: candidate list size while building (pgvector's ef_construction, "
                                    + "4 to 1000, at least 2 × m).");

    // ---- embedding ----
    public static final ConfigOption<EmbeddingBackendType> EMBEDDING_BACKEND =
            ConfigOptions.key("embedding.backend")
                    .enumType(EmbeddingBackendType.class)
                    .defaultValue(EmbeddingBackendType.ONNX)
                    .withDescription(
                            "onnx (an in-process model, see embedding.model) | ollama | openai.");
    public static final ConfigOption<String> EMBEDDING_MODEL =
            ConfigOptions.key("embedding.model")
                    .stringType()
                    .defaultValue("all-MiniLM-L6-v2")
                    .withDescription(
                            "Model name; stored with every row, and a table holds one model's"
                                    + " vectors. With embedding.backend=onnx one of:"
                                    + " all-MiniLM-L6-v2 (fp32, mean pooling, 256 word pieces),"
                                    + " all-MiniLM-L6-v2-q (the same, int8: faster, close but not"
                                    + " equal vectors), bge-small-en-v1.5 (fp32, [CLS] pooling, 512"
                                    + " word pieces, queries prefixed with 'Represent this sentence"
                                    + " for searching relevant passages: '), bge-small-en-v1.5-q"
                                    + " (the same, int8); all 384 dimensions. With ollama or"
                                    + " openai, the server's model name.");
    public static final ConfigOption<List<Map<String, String>>> EMBEDDING_ENDPOINTS =
            ConfigOptions.key("embedding.endpoints")
                    .mapType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Backend endpoints: [{url: http://gpu-1:11434, max-concurrency: 4}, ...].");
    public static final ConfigOption<Integer> EMBEDDING_DIMENSION =
            ConfigOptions.key("embedding.dimension")
                    .intType()
                    .defaultValue(384)
                    .withDescription(
                            "Length of the model's vectors; every answer is checked against it.");
    public static final ConfigOption<Duration> EMBEDDING_REQUEST_TIMEOUT =
            ConfigOptions.key("embedding.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription(
                            "One HTTP request to an endpoint; a timeout is retried, never fails the job.");
    public static final ConfigOption<String> EMBEDDING_API_KEY_ENV =
            ConfigOptions.key("embedding.api-key-env")
                    .stringType()
                    .defaultValue("OPENAI_API_KEY")
                    .withDescription(
                            "Environment variable holding the OpenAI-compatible API key (sent as a Bearer token).");
    public static final ConfigOption<Integer> EMBEDDING_BATCH_SIZE =
            ConfigOptions.key("embedding.batch-size")
                    .intType()
                    .defaultValue(32)
                    .withDescription("Chunks per backend request (micro-batch size).");
    public static final ConfigOption<Duration> EMBEDDING_LINGER =
            ConfigOptions.key("embedding.linger")
                    .durationType()
                    .defaultValue(Duration.ofMillis(100))
                    .withDescription("How long a partial micro-batch waits for more chunks.");
    public static final ConfigOption<Integer> EMBEDDING_MAX_IN_FLIGHT =
            ConfigOptions.key("embedding.max-in-flight")
                    .intType()
                    .noDefaultValue()
                    .withDescription(
                            "Batches the in-process model embeds at once (default: one per core); they share "
                                    + "the cores, so each gets cores / max-in-flight ONNX Runtime threads. One single-threaded "
                                    + "batch per core measured 8-10 % faster end to end on 2 cores than one batch on both: "
                                    + "the rest of the job preempts a thread without stalling the other at a barrier.");
    public static final ConfigOption<Duration> EMBEDDING_TIMEOUT =
            ConfigOptions.key("embedding.timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(5))
                    .withDescription("Upper bound for one embedding batch.");

    public static final ConfigOption<Integer> EMBEDDING_CACHE_MAX_ENTRIES =
            ConfigOptions.key("embedding.cache.max-entries")
                    .intType()
                    .defaultValue(20_000)
                    .withDescription(
                            "Vectors kept per embedding subtask so identical chunk text is embedded once "
                                    + "(about 1.6 KB each at 384 dims); 0 turns the cache off.");
    public static final ConfigOption<Duration> EMBEDDING_CACHE_TTL =
            ConfigOptions.key("embedding.cache.ttl")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("How long a cached vector is reused.");

    // ---- chunking ----
    public static final ConfigOption<Integer> CHUNK_SIZE =
            ConfigOptions.key("chunk.size")
                    .intType()
                    .defaultValue(200)
                    .withDescription(
                            "Target chunk size in tokens (never above the model's limit).");
    public static final ConfigOption<Integer> CHUNK_OVERLAP =
            ConfigOptions.key("chunk.overlap")
                    .intType()
                    .defaultValue(0)
                    .withDescription(
                            "Tokens (whole words) of a chunk repeated at the start of the next; at most half "
                                    + "of chunk.size. An edit near a boundary then re-embeds both chunks.");
    public static final ConfigOption<Duration> STATE_DELETED_RETENTION =
            ConfigOptions.key("state.deleted-retention")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "How long the job remembers a deleted document; the documents table "
                                    + "keeps guarding it afterwards.");
    public static final ConfigOption<Integer> INGEST_MAX_DOCUMENT_BYTES =
            ConfigOptions.key("ingest.max-document-bytes")
                    .intType()
                    .defaultValue(4 * 1024 * 1024)
                    .withDescription("Larger documents are dead-lettered as too-large.");
    public static final ConfigOption<Integer> INGEST_MAX_ID_BYTES =
            ConfigOptions.key("ingest.max-id-bytes")
                    .intType()
                    .defaultValue(512)
                    .withDescription(
                            "Longest document id, and longest tenant, in UTF-8 bytes (at most 1024: the "
                                    + "primary key's index row must fit); longer ones are dead-lettered as ID_TOO_LONG.");
    public static final ConfigOption<Integer> INGEST_MAX_METADATA_BYTES =
            ConfigOptions.key("ingest.max-metadata-bytes")
                    .intType()
                    .defaultValue(64 * 1024)
                    .withDescription(
                            "Largest metadata object, as JSON text; larger ones are dead-lettered as "
                                    + "METADATA_TOO_LARGE.");
    public static final ConfigOption<Integer> INGEST_MAX_METADATA_DEPTH =
            ConfigOptions.key("ingest.max-metadata-depth")
                    .intType()
                    .defaultValue(32)
                    .withDescription(
                            "Deepest nesting of objects and arrays in metadata; deeper ones are "
                                    + "dead-lettered as METADATA_TOO_LARGE.");
    public static final ConfigOption<Boolean> INGEST_REQUIRE_TENANT =
            ConfigOptions.key("ingest.require-tenant")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Dead-letter an event that names no tenant (MISSING_TENANT) instead of filing it "
                                    + "under 'default'; for CDC too, where a delete or tombstone without the tenant "
                                    + "column is dead-lettered rather than deleting default/<id>.");
    public static final ConfigOption<Integer> CHUNK_MAX_BYTES =
            ConfigOptions.key("chunk.max-bytes")
                    .intType()
                    .defaultValue(8 * 1024)
                    .withDescription(
                            "Longest chunk in UTF-8 bytes, whatever its tokens: a word the tokenizer reads "
                                    + "as one [UNK] (a long run of Thai, say) is cut there.");
    public static final ConfigOption<Integer> KAFKA_DLQ_MAX_VALUE_BYTES =
            ConfigOptions.key("kafka.dlq-max-value-bytes")
                    .intType()
                    .defaultValue(64 * 1024)
                    .withDescription(
                            "A dead letter carries at most this many bytes of the original value (and of "
                                    + "its key), with the original's size and SHA-256, so it always fits the producer's "
                                    + "limit.");

    // ---- search ----
    public static final ConfigOption<Integer> SEARCH_EF_SEARCH =
            ConfigOptions.key("search.ef-search")
                    .intType()
                    .defaultValue(200)
                    .withDescription(
                            "HNSW candidate list of a search (pgvector's hnsw.ef_search, 1 to 1000); "
                                    + "raised to the rows a search reads, and iterative scans go on past it when the "
                                    + "tenant filter leaves too few.");
    public static final ConfigOption<Integer> SEARCH_RERANK_FACTOR =
            ConfigOptions.key("search.rerank-factor")
                    .intType()
                    .defaultValue(10)
                    .withDescription(
                            "int8 and binary: candidates the index of sign bits proposes per wanted "
                                    + "chunk (1 to 100), re-ranked by the stored vector.");

    public static final ConfigOption<Duration> SEARCH_TIMEOUT =
            ConfigOptions.key("search.timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "How long one search's statements may run in PostgreSQL (statement_timeout, set "
                                    + "per search) before the search fails as unavailable (serve-search: 503); a "
                                    + "connection silent for about twice (it + 2 s) is taken as dead. At least 100ms.");

    public static final ConfigOption<SearchMode> SEARCH_MODE =
            ConfigOptions.key("search.mode")
                    .enumType(SearchMode.class)
                    .defaultValue(SearchMode.HYBRID)
                    .withDescription(
                            "How bin/ragstream search ranks documents (--mode overrides it). vector: nearest "
                                    + "chunks by embedding. text: BM25 over the chunks' words (PostgreSQL tsvector, GIN "
                                    + "index). hybrid: both rankings fused by reciprocal rank, the best of the three on "
                                    + "SciFact (README, Search).");

    // ---- quantization, sink, checkpoints ----
    public static final ConfigOption<String> QUANTIZATION =
            ConfigOptions.key("quantization")
                    .stringType()
                    .defaultValue("float16")
                    .withDescription(
                            "How vectors are stored: float32 (vector), float16 (halfvec), int8 (codes with a "
                                    + "scale and offset per vector, re-ranked) or binary (an HNSW index of sign bits, "
                                    + "re-ranked by the halfvec). A table keeps the mode it was created with.");
    public static final ConfigOption<SinkMode> SINK_MODE =
            ConfigOptions.key("sink.mode")
                    .enumType(SinkMode.class)
                    .defaultValue(SinkMode.EXACTLY_ONCE)
                    .withDescription(
                            "idempotent: batches committed as they fill and at every checkpoint, replays "
                                    + "made harmless by the version guards. exactly-once: one transaction per checkpoint and "
                                    + "subtask, prepared at the barrier (PREPARE TRANSACTION) and committed when the checkpoint "
                                    + "completes; needs max_prepared_transactions > 0.");
    public static final ConfigOption<Integer> SINK_BATCH_SIZE =
            ConfigOptions.key("sink.batch-size")
                    .intType()
                    .defaultValue(256)
                    .withDescription("Documents buffered before a write to PostgreSQL.");
    public static final ConfigOption<String> SINK_TRANSACTION_PREFIX =
            ConfigOptions.key("sink.transaction-prefix")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "exactly-once: the start of the sink's prepared-transaction names, its identity "
                                    + "in the database ([A-Za-z0-9_.-], up to 120). On every start the sink finishes the "
                                    + "transactions with its own prefix that earlier runs left prepared, and no others. "
                                    + "Default: the chunks table and a hash of it and the consumer group.");
    public static final ConfigOption<MemorySize> SINK_MAX_BUFFERED_BYTES =
            ConfigOptions.key("sink.max-buffered-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(64))
                    .withDescription(
                            "exactly-once: updates that arrive while the subtask's previous transaction is "
                                    + "still prepared wait in memory (and in checkpoints); past this size the sink stops "
                                    + "taking input (backpressure) until that transaction is committed.");
    public static final ConfigOption<Duration> SINK_LOCK_TIMEOUT =
            ConfigOptions.key("sink.lock-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "lock_timeout of the sink's sessions: a row lock held longer fails the task, "
                                    + "and Flink recovers it, instead of waiting for ever.");
    public static final ConfigOption<Duration> SINK_STATEMENT_TIMEOUT =
            ConfigOptions.key("sink.statement-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(2))
                    .withDescription("statement_timeout of the sink's sessions.");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("checkpoint.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("Checkpoint interval; rows become visible at checkpoints.");
    public static final ConfigOption<String> CHECKPOINT_DIR =
            ConfigOptions.key("checkpoint.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Where bin/ragstream run keeps checkpoints: a path (relative to the working "
                                    + "directory) or a file: URI; default .ragstream/checkpoints in the ragstream home. "
                                    + "Each pipeline has a folder of its own under it, <pipeline id>/<state backend>, and a run "
                                    + "resumes only from its own. A cluster uses its execution.checkpointing.dir instead.");
    public static final ConfigOption<Integer> PARALLELISM =
            ConfigOptions.key("job.parallelism")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Default parallelism of the job's operators; on a cluster, when unset, "
                                    + "Flink's (flink run -p, parallelism.default, spec.job.parallelism).");
    public static final ConfigOption<Duration> EMBEDDING_MISCONFIGURED_TIMEOUT =
            ConfigOptions.key("embedding.misconfigured-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(3))
                    .withDescription(
                            "How long the job waits while every endpoint is misconfigured (a wrong "
                                    + "dimension, 401, 403, 404) before it fails, naming the endpoint and what to fix.");
    public static final ConfigOption<Integer> EMBEDDING_PARALLELISM =
            ConfigOptions.key("embedding.parallelism")
                    .intType()
                    .defaultValue(1)
                    .withDescription(
                            "Subtasks of the async embedding operator; on a cluster, when unset, "
                                    + "job.parallelism's.");

    static final List<ConfigOption<?>> ALL =
            List.of(
                    KAFKA_BOOTSTRAP_SERVERS,
                    KAFKA_DOCUMENTS_TOPIC,
                    KAFKA_CDC_TOPICS,
                    KAFKA_DLQ_TOPIC,
                    KAFKA_STATUS_TOPIC,
                    KAFKA_GROUP_ID,
                    KAFKA_PARTITION_DISCOVERY,
                    CDC_ID_COLUMN,
                    CDC_TEXT_COLUMNS,
                    CDC_TENANT_COLUMN,
                    CDC_METADATA_COLUMN,
                    BACKFILL_SPLIT_COLUMN,
                    BACKFILL_SPLITS,
                    BACKFILL_FETCH_SIZE,
                    BACKFILL_VERSION_COLUMN,
                    BACKFILL_URL,
                    BACKFILL_USER,
                    BACKFILL_PASSWORD,
                    POSTGRES_URL,
                    POSTGRES_USER,
                    POSTGRES_PASSWORD,
                    POSTGRES_CHUNKS_TABLE,
                    POSTGRES_DOCUMENTS_TABLE,
                    POSTGRES_CREATE_TABLES,
                    POSTGRES_ALLOW_UNSAFE_PGVECTOR,
                    POSTGRES_CONNECT_TIMEOUT,
                    POSTGRES_SOCKET_TIMEOUT,
                    HNSW_M,
                    HNSW_EF_CONSTRUCTION,
                    EMBEDDING_BACKEND,
                    EMBEDDING_MODEL,
                    EMBEDDING_ENDPOINTS,
                    EMBEDDING_DIMENSION,
                    EMBEDDING_REQUEST_TIMEOUT,
                    EMBEDDING_API_KEY_ENV,
                    EMBEDDING_BATCH_SIZE,
                    EMBEDDING_LINGER,
                    EMBEDDING_MAX_IN_FLIGHT,
                    EMBEDDING_TIMEOUT,
                    EMBEDDING_PARALLELISM,
                    EMBEDDING_CACHE_MAX_ENTRIES,
                    EMBEDDING_CACHE_TTL,
                    CHUNK_SIZE,
                    CHUNK_OVERLAP,
                    CHUNK_MAX_BYTES,
                    STATE_DELETED_RETENTION,
                    INGEST_MAX_DOCUMENT_BYTES,
                    INGEST_MAX_ID_BYTES,
                    INGEST_MAX_METADATA_BYTES,
                    INGEST_MAX_METADATA_DEPTH,
                    INGEST_REQUIRE_TENANT,
                    KAFKA_DLQ_MAX_VALUE_BYTES,
                    EMBEDDING_MISCONFIGURED_TIMEOUT,
                    QUANTIZATION,
                    SEARCH_EF_SEARCH,
                    SEARCH_RERANK_FACTOR,
                    SEARCH_MODE,
                    SEARCH_TIMEOUT,
                    SINK_MODE,
                    SINK_BATCH_SIZE,
                    SINK_TRANSACTION_PREFIX,
                    SINK_MAX_BUFFERED_BYTES,
                    SINK_LOCK_TIMEOUT,
                    SINK_STATEMENT_TIMEOUT,
                    CHECKPOINT_INTERVAL,
                    CHECKPOINT_DIR,
                    PARALLELISM);
}
