package io.ragstream.sink;

import io.ragstream.chunk.DocumentChunker;
import io.ragstream.config.ConfigException;
import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;
import io.ragstream.config.SinkMode;
import io.ragstream.quantize.Quantization;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Where and how the sink writes. {@code transactionPrefix}: the exactly-once sink's identity in the
 * database; {@code maxBufferedBytes}: the cap on what its writer holds while a transaction of its
 * own is still prepared; {@code allowUnsafePgvector}: warn instead of refusing a pgvector below
 * {@value PgVectorExtension#MINIMUM_SAFE}.
 */
public record PgVectorSinkOptions(
        String url,
        String user,
        String password,
        PgVectorSchema schema,
        String model,
        SinkMode mode,
        int batchSize,
        boolean createTables,
        int hnswM,
        int hnswEfConstruction,
        String transactionPrefix,
        PostgresTimeouts timeouts,
        long maxBufferedBytes,
        boolean allowUnsafePgvector)
        implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(PgVectorSinkOptions.class);

    /** pgjdbc options that make it report batched update counts as -2 ("no information"). */
    private static final Pattern REWRITE_BATCHED_INSERTS =
            Pattern.compile("(?i)[?&]reWriteBatchedInserts=(true|on|yes|1)(&|$)");

    public PgVectorSinkOptions {
        if (REWRITE_BATCHED_INSERTS.matcher(url).find()) {
            // the version guards answer through update counts: with -2 for all, every document
            // would look stale
            throw new ConfigException(
                    RagstreamOptions.POSTGRES_URL.key(),
                    "reWriteBatchedInserts=true makes the "
                            + "PostgreSQL driver report no update counts, which the sink needs to tell applied writes from "
                            + "stale ones; remove it from the URL (the sink batches its statements already)");
        }
        if (!TransactionIds.PREFIX.matcher(transactionPrefix).matches()) {
            throw new ConfigException(
                    RagstreamOptions.SINK_TRANSACTION_PREFIX.key(),
                    "'"
                            + transactionPrefix
                            + "' is not a transaction prefix: 1 to 120 of A-Z a-z 0-9 _ . -");
        }
    }

    /**
     * With the defaults of what a test or bench does not care about; an unsafe pgvector is refused.
     */
    public PgVectorSinkOptions(
            String url,
            String user,
            String password,
            PgVectorSchema schema,
            String model,
            SinkMode mode,
            int batchSize,
            boolean createTables,
            int hnswM,
            int hnswEfConstruction) {
        this(
                url,
                user,
                password,
                schema,
                model,
                mode,
                batchSize,
                createTables,
                hnswM,
                hnswEfConstruction,
                defaultTransactionPrefix(schema.chunksTable(), "ragstream"),
                PostgresTimeouts.DEFAULTS,
                RagstreamOptions.SINK_MAX_BUFFERED_BYTES.defaultValue().getBytes(),
                false);
    }

    public static PgVectorSinkOptions from(RagstreamConfig config, int dimension) {
        PgVectorSchema schema =
                new PgVectorSchema(
                        config.get(RagstreamOptions.POSTGRES_DOCUMENTS_TABLE),
                        config.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE),
                        Quantization.parse(config.get(RagstreamOptions.QUANTIZATION)),
                        dimension);
        return new PgVectorSinkOptions(
                config.get(RagstreamOptions.POSTGRES_URL),
                config.get(RagstreamOptions.POSTGRES_USER),
                config.get(RagstreamOptions.POSTGRES_PASSWORD),
                schema,
                config.get(RagstreamOptions.EMBEDDING_MODEL),
                config.get(RagstreamOptions.SINK_MODE),
                config.positive(RagstreamOptions.SINK_BATCH_SIZE),
                config.get(RagstreamOptions.POSTGRES_CREATE_TABLES),
                hnswM(config),
                hnswEfConstruction(config),
                transactionPrefix(config),
                PostgresTimeouts.from(config),
                config.get(RagstreamOptions.SINK_MAX_BUFFERED_BYTES).getBytes(),
                config.get(RagstreamOptions.POSTGRES_ALLOW_UNSAFE_PGVECTOR));
    }

    /**
     * {@code sink.transaction-prefix}, else one of this chunks table and consumer group: two
     * pipelines never share one.
     */
    private static String transactionPrefix(RagstreamConfig config) {
        String prefix = config.get(RagstreamOptions.SINK_TRANSACTION_PREFIX);
        return prefix != null
                ? prefix
                : defaultTransactionPrefix(
                        config.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE),
                        PipelineIdentity.consumerGroup(config));
    }

    static String defaultTransactionPrefix(String chunksTable, String consumerGroup) {
        return chunksTable
                + "-"
                + HexFormat.of()
                        .formatHex(
                                DocumentChunker.sha256(chunksTable + "\n" + consumerGroup), 0, 5);
    }

    public PgVectorSinkOptions withTransactionPrefix(String prefix) {
        return toBuilder().transactionPrefix(prefix).build();
    }

    public PgVectorSinkOptions withTimeouts(PostgresTimeouts newTimeouts) {
        return toBuilder().timeouts(newTimeouts).build();
    }

    public PgVectorSinkOptions withMaxBufferedBytes(long bytes) {
        return toBuilder().maxBufferedBytes(bytes).build();
    }

    public PgVectorSinkOptions withUrl(String newUrl) {
        return toBuilder().url(newUrl).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** pgvector's bounds, checked here so the error names the key. */
    private static int hnswM(RagstreamConfig config) {
        return config.between(RagstreamOptions.HNSW_M, 2, 100);
    }

    private static int hnswEfConstruction(RagstreamConfig config) {
        int ef = config.between(RagstreamOptions.HNSW_EF_CONSTRUCTION, 4, 1000);
        int m = hnswM(config);
        if (ef < 2 * m) {
            throw new ConfigException(
                    RagstreamOptions.HNSW_EF_CONSTRUCTION.key(),
                    "must be at least 2 × postgres.hnsw.m (" + 2 * m + "), was " + ef);
        }
        return ef;
    }

    /** A session of the sink's, named {@link #applicationName()}. */
    public Connection connect() throws SQLException {
        return connect(applicationName());
    }

    private Connection connect(String applicationName) throws SQLException {
        Properties properties = connectionProperties(applicationName);
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection(url, properties);
    }

    /**
     * What every connection gets besides its user and password: a name, so a DBA (or a test) can
     * tell the sessions apart in pg_stat_activity, and the timeouts.
     */
    public Properties connectionProperties(String applicationName) {
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", applicationName);
        timeouts.applyTo(properties);
        return properties;
    }

    public String applicationName() {
        return "ragstream:" + schema.chunksTable();
    }

    /**
     * Checks that pgvector is {@value PgVectorExtension#MINIMUM_SAFE} or newer (or only warns, with
     * postgres.allow-unsafe-pgvector), that the server can hold the exactly-once sink's prepared
     * transactions and that an existing table was made for the configured quantization (before the
     * DDL: PostgreSQL rejects a mismatched index definition even when the index exists), then
     * creates what is missing when configured to; run once before the job starts.
     */
    public void prepareTables() throws SQLException {
        prepareTables(1);
    }

    /**
     * The same for a sink of {@code subtasks} subtasks: with exactly-once, each that wrote since
     * the last checkpoint holds a prepared transaction at the next, so on a server that allows
     * fewer at once, every checkpoint taken under load would fail the job.
     */
    public void prepareTables(int subtasks) throws SQLException {
        prepareTables(false, subtasks);
    }

    /**
     * The same for a bulk load: a chunks table that does not exist yet is created without its HNSW
     * index, which {@link #prepareTables()} builds once the load is done. Returns whether the index
     * was deferred.
     */
    public boolean prepareTablesForLoad(int subtasks) throws SQLException {
        return prepareTables(true, subtasks);
    }

    private boolean prepareTables(boolean deferIndex, int subtasks) throws SQLException {
        try (Connection connection = connect("ragstream-setup:" + schema.chunksTable())) {
            requireWrites(connection);
            requireSessions(connection, subtasks);
            // the DDL below may build an HNSW index, which an unsafe pgvector must not do
            PgVectorExtension.checkForSink(connection, url, allowUnsafePgvector);
            // building an HNSW index over a large table takes long with no byte on the socket
            connection.setNetworkTimeout(Runnable::run, 0);
            if (mode == SinkMode.EXACTLY_ONCE) {
                try (Statement st = connection.createStatement();
                        ResultSet rs =
                                st.executeQuery(
                                        "SELECT current_setting('max_prepared_transactions')::int")) {
                    rs.next();
                    int allowed = rs.getInt(1);
                    if (allowed == 0) {
                        throw new ConfigException(
                                RagstreamOptions.SINK_MODE.key(),
                                "exactly-once prepares transactions, "
                                        + "and max_prepared_transactions is 0 on "
                                        + Secrets.redactUrl(url)
                                        + "; set it (e.g. 64, then restart "
                                        + "PostgreSQL) or use sink.mode: idempotent");
                    }
                    if (allowed < subtasks) {
                        throw new ConfigException(
                                RagstreamOptions.PARALLELISM.key(),
                                subtasks
                                        + " sink subtasks each hold a prepared transaction at a"
                                        + " checkpoint they wrote before, and max_prepared_transactions is "
                                        + allowed
                                        + " on "
                                        + Secrets.redactUrl(url)
                                        + ": raise it to at least "
                                        + subtasks
                                        + " plus what other exactly-once pipelines there hold"
                                        + " (then restart PostgreSQL), or lower the parallelism");
                    }
                }
            }
            schema.checkQuantization(connection);
            if (mode == SinkMode.EXACTLY_ONCE
                    && !createTables
                    && !PgVectorSchema.exists(connection, PreparedTransactions.MARKERS)) {
                throw new ConfigException(
                        RagstreamOptions.POSTGRES_CREATE_TABLES.key(),
                        "is false, and the table "
                                + PreparedTransactions.MARKERS
                                + " that sink.mode exactly-once needs is missing: create it "
                                + "(sql/schema.sql) or let the job create it");
            }
            boolean defer = deferIndex && createTables && schema.chunksTableMissing(connection);
            if (createTables) {
                if (mode == SinkMode.EXACTLY_ONCE
                        && schema.changesTables(connection, hnswM, hnswEfConstruction, !defer)) {
                    commitLeftovers(connection);
                }
                schema.create(connection, hnswM, hnswEfConstruction, !defer);
            }
            return defer;
        }
    }

    /**
     * A standby (a read replica, or a primary that a failover demoted) refuses every write, as do
     * sessions that a role or database makes read-only. The first write is the setup's, whose
     * failure would blame a missing pgvector; a sink started anyway would fail at every restart.
     */
    private void requireWrites(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT pg_is_in_recovery(),"
                                        + " current_setting('transaction_read_only')::boolean")) {
            rs.next();
            if (rs.getBoolean(1)) {
                throw new ConfigException(
                        RagstreamOptions.POSTGRES_URL.key(),
                        Secrets.redactUrl(url)
                                + " is a standby server (in recovery), which takes no writes:"
                                + " name the primary (with several hosts, add"
                                + " targetServerType=primary to the URL)");
            }
            if (rs.getBoolean(2)) {
                throw new ConfigException(
                        RagstreamOptions.POSTGRES_URL.key(),
                        "sessions on "
                                + Secrets.redactUrl(url)
                                + " are read-only (default_transaction_read_only is on for the"
                                + " server, the database or the role): the sink writes; connect"
                                + " as a role that may");
            }
        }
    }

    /**
     * The sessions the sink holds at most: each subtask's writer, with exactly-once its committer
     * too, and one more for a moment (the start's recovery, the end of a bounded input). A role's
     * {@code CONNECTION LIMIT} or a server's {@code max_connections} below that fails a task and
     * restarts the job whenever the subtasks hold their sessions at once; fewer free at the moment
     * (other clients come and go) only warrants a warning.
     */
    private void requireSessions(Connection connection, int subtasks) throws SQLException {
        int needed = subtasks * (mode == SinkMode.EXACTLY_ONCE ? 2 : 1) + 1;
        try (Statement st = connection.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT r.rolconnlimit, r.rolsuper,"
                                        + " current_setting('max_connections')::int"
                                        + " - current_setting('superuser_reserved_connections')::int"
                                        + " - coalesce(current_setting('reserved_connections', true)::int, 0),"
                                        + " (SELECT count(*) FROM pg_stat_activity"
                                        + " WHERE backend_type = 'client backend')"
                                        + " FROM pg_roles r WHERE r.rolname = current_user")) {
            rs.next();
            int roleLimit = rs.getInt(1);
            boolean superuser = rs.getBoolean(2);
            int serverLimit = rs.getInt(3);
            long inUse =
                    rs.getLong(4) - 1; // this session is the setup's, closed before the job runs
            String sessions =
                    needed
                            + " sessions at most ("
                            + (mode == SinkMode.EXACTLY_ONCE
                                    ? "a writer's and a committer's"
                                    : "a writer's")
                            + " for each of "
                            + subtasks
                            + " sink subtasks, and one more at times)";
            if (roleLimit >= 0 && roleLimit < needed) {
                throw new ConfigException(
                        RagstreamOptions.PARALLELISM.key(),
                        "the sink holds "
                                + sessions
                                + ", and role "
                                + user
                                + " may open "
                                + roleLimit
                                + " on "
                                + Secrets.redactUrl(url)
                                + " (its CONNECTION LIMIT): raise it (ALTER ROLE ... CONNECTION LIMIT),"
                                + " or lower the parallelism");
            }
            if (!superuser && serverLimit < needed) {
                throw new ConfigException(
                        RagstreamOptions.PARALLELISM.key(),
                        "the sink holds "
                                + sessions
                                + ", and "
                                + Secrets.redactUrl(url)
                                + " takes "
                                + serverLimit
                                + " (max_connections less those reserved): raise max_connections"
                                + " (then restart PostgreSQL), or lower the parallelism");
            }
            if (!superuser && serverLimit - inUse < needed) {
                LOG.warn(
                        "{}: the sink holds {}, and {} has {} of {} connections free now; tasks"
                                + " that find none fail and restart until they do",
                        this,
                        sessions,
                        Secrets.redactUrl(url),
                        Math.max(0, serverLimit - inUse),
                        serverLimit);
            }
        }
    }

    /**
     * Rolls back what this sink left prepared, for a pipeline gone for good (a benchmark's, before
     * its tables are dropped: a prepared transaction keeps its locks, and the drop would wait for
     * it forever); how many.
     */
    public int rollBackLeftovers() throws SQLException {
        try (Connection connection = connect()) {
            return PreparedTransactions.rollBackAll(connection, transactionPrefix);
        }
    }

    /**
     * The transactions this sink's earlier runs left prepared, committed as a fresh start commits
     * them ({@link PreparedTransactions#finishLeftovers}): they hold the tables' locks, so a schema
     * change would wait on them past its lock timeout at every start, and only this start can end
     * them. On a restore, one the job would have rolled back (its input is replayed) is committed
     * too: its writes are version-guarded, so the replay changes nothing.
     */
    private void commitLeftovers(Connection connection) throws SQLException {
        PreparedTransactions.Finished finished =
                PreparedTransactions.finishLeftovers(
                        connection, transactionPrefix, schema.chunksTable(), OptionalLong.empty());
        if (finished.committed() > 0) {
            LOG.info(
                    "{}: committed {} transactions of {} left prepared by an earlier run, so that"
                            + " the schema change can lock the tables",
                    this,
                    finished.committed(),
                    transactionPrefix);
        }
    }

    @Override
    public String
            toString() { // keep passwords out of logs and the web UI: none of its own, none in the
        // URL
        return "PgVectorSinkOptions[url="
                + Secrets.redactUrl(url)
                + ", user="
                + user
                + ", tables="
                + schema.documentsTable()
                + "/"
                + schema.chunksTable()
                + ", "
                + schema.quantization()
                + "]";
    }

    /** A copy field by field; what is not set keeps the value it was built from. */
    public static final class Builder {
        private String url;
        private String user;
        private String password;
        private PgVectorSchema schema;
        private String model;
        private SinkMode mode;
        private int batchSize;
        private boolean createTables;
        private int hnswM;
        private int hnswEfConstruction;
        private String transactionPrefix;
        private PostgresTimeouts timeouts;
        private long maxBufferedBytes;
        private boolean allowUnsafePgvector;

        private Builder(PgVectorSinkOptions from) {
            url = from.url;
            user = from.user;
            password = from.password;
            schema = from.schema;
            model = from.model;
            mode = from.mode;
            batchSize = from.batchSize;
            createTables = from.createTables;
            hnswM = from.hnswM;
            hnswEfConstruction = from.hnswEfConstruction;
            transactionPrefix = from.transactionPrefix;
            timeouts = from.timeouts;
            maxBufferedBytes = from.maxBufferedBytes;
            allowUnsafePgvector = from.allowUnsafePgvector;
        }

        public Builder url(String url) {
            this.url = url;
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder schema(PgVectorSchema schema) {
            this.schema = schema;
            return this;
        }

        public Builder model(String model) {
            this.model = model;
            return this;
        }

        public Builder mode(SinkMode mode) {
            this.mode = mode;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder createTables(boolean createTables) {
            this.createTables = createTables;
            return this;
        }

        public Builder hnswM(int hnswM) {
            this.hnswM = hnswM;
            return this;
        }

        public Builder hnswEfConstruction(int hnswEfConstruction) {
            this.hnswEfConstruction = hnswEfConstruction;
            return this;
        }

        public Builder transactionPrefix(String transactionPrefix) {
            this.transactionPrefix = transactionPrefix;
            return this;
        }

        public Builder timeouts(PostgresTimeouts timeouts) {
            this.timeouts = timeouts;
            return this;
        }

        public Builder maxBufferedBytes(long maxBufferedBytes) {
            this.maxBufferedBytes = maxBufferedBytes;
            return this;
        }

        public Builder allowUnsafePgvector(boolean allowUnsafePgvector) {
            this.allowUnsafePgvector = allowUnsafePgvector;
            return this;
        }

        public PgVectorSinkOptions build() {
            return new PgVectorSinkOptions(
                    url,
                    user,
                    password,
                    schema,
                    model,
                    mode,
                    batchSize,
                    createTables,
                    hnswM,
                    hnswEfConstruction,
                    transactionPrefix,
                    timeouts,
                    maxBufferedBytes,
                    allowUnsafePgvector);
        }
    }
}
