package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.quantize.Quantization;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** Where and how the sink writes. */
public record PgVectorSinkOptions(
        String url, String user, String password, PgVectorSchema schema, String model, SinkMode mode, int batchSize,
        boolean createTables, int hnswM, int hnswEfConstruction, boolean allowUnsafePgvector) implements Serializable {

    /** Refusing a pgvector below {@value PgVectorExtension#MINIMUM_SAFE}, as by default. */
    public PgVectorSinkOptions(String url, String user, String password, PgVectorSchema schema, String model,
                               SinkMode mode, int batchSize, boolean createTables, int hnswM, int hnswEfConstruction) {
        this(url, user, password, schema, model, mode, batchSize, createTables, hnswM, hnswEfConstruction, false);
    }

    public static PgVectorSinkOptions from(RagstreamConfig config, int dimension) {
        PgVectorSchema schema = new PgVectorSchema(
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
                SinkMode.from(config),
                config.positive(RagstreamOptions.SINK_BATCH_SIZE),
                config.get(RagstreamOptions.POSTGRES_CREATE_TABLES),
                hnswM(config),
                hnswEfConstruction(config),
                config.get(RagstreamOptions.POSTGRES_ALLOW_UNSAFE_PGVECTOR));
    }

    /** pgvector's bounds, checked here so the error names the key. */
    private static int hnswM(RagstreamConfig config) {
        return config.between(RagstreamOptions.HNSW_M, 2, 100);
    }

    private static int hnswEfConstruction(RagstreamConfig config) {
        int ef = config.between(RagstreamOptions.HNSW_EF_CONSTRUCTION, 4, 1000);
        int m = hnswM(config);
        if (ef < 2 * m) {
            throw new ConfigException(RagstreamOptions.HNSW_EF_CONSTRUCTION.key(),
                    "must be at least 2 × postgres.hnsw.m (" + 2 * m + "), was " + ef);
        }
        return ef;
    }

    /** A session of the sink's, named {@link #applicationName()}. */
    public Connection connect() throws SQLException {
        return connect(applicationName());
    }

    private Connection connect(String applicationName) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        // so a DBA (or a test) can tell the sink's sessions apart in pg_stat_activity
        properties.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(url, properties);
    }

    public String applicationName() {
        return "ragstream:" + schema.chunksTable();
    }

    /**
     * Checks that pgvector is {@value PgVectorExtension#MINIMUM_SAFE} or newer (or only warns, with
     * postgres.allow-unsafe-pgvector), that the server can hold the exactly-once sink's prepared
     * transactions and that an existing table was made for the configured quantization (before
     * the DDL: PostgreSQL rejects a mismatched index definition even when the index exists), then
     * creates what is missing when configured to; run once before the job starts.
     */
    public void prepareTables() throws SQLException {
        prepareTables(false);
    }

    /**
     * The same for a bulk load: a chunks table that does not exist yet is created without its
     * HNSW index, which {@link #prepareTables()} builds once the load is done. Returns whether
     * the index was deferred.
     */
    public boolean prepareTablesForLoad() throws SQLException {
        return prepareTables(true);
    }

    private boolean prepareTables(boolean deferIndex) throws SQLException {
        try (Connection connection = connect("ragstream-setup:" + schema.chunksTable())) {
            // first: the DDL below may build an HNSW index, which an unsafe pgvector must not do
            PgVectorExtension.checkForSink(connection, url, allowUnsafePgvector);
            if (mode == SinkMode.EXACTLY_ONCE) {
                try (Statement st = connection.createStatement();
                     ResultSet rs = st.executeQuery("SELECT current_setting('max_prepared_transactions')::int")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        throw new ConfigException(RagstreamOptions.SINK_MODE.key(), "exactly-once prepares transactions, "
                                + "and max_prepared_transactions is 0 on " + url + "; set it (e.g. 64, then restart "
                                + "PostgreSQL) or use sink.mode: idempotent");
                    }
                }
            }
            schema.checkQuantization(connection);
            boolean defer = deferIndex && createTables && schema.chunksTableMissing(connection);
            if (createTables) {
                schema.create(connection, hnswM, hnswEfConstruction, !defer);
            }
            return defer;
        }
    }

    @Override
    public String toString() { // keep the password out of logs
        return "PgVectorSinkOptions[url=" + url + ", user=" + user + ", tables=" + schema.documentsTable()
                + "/" + schema.chunksTable() + ", " + schema.quantization() + "]";
    }
}
