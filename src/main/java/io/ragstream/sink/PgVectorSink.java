package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.SinkMode;

import org.apache.flink.api.connector.sink2.Sink;

import java.sql.SQLException;

/**
 * The job's sink into the pgvector tables, in the configured {@link SinkMode}. Both modes write the
 * same batched, version-guarded statements ({@link DocumentWriter}); they differ in when the writes
 * become visible.
 */
public final class PgVectorSink {
    private PgVectorSink() {}

    /**
     * The sink the settings describe; creates the tables first when postgres.create-tables is on.
     */
    public static Sink<DocumentUpdate> fromConfig(RagstreamConfig config, int dimension)
            throws SQLException {
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, dimension);
        options.prepareTables(config.positive(RagstreamOptions.PARALLELISM));
        return create(options, StatusTopic.from(config));
    }

    /**
     * The sink for a bulk load (a backfill): a chunks table that does not exist yet is created
     * without its HNSW index, and {@link #finishLoad} builds it once the load is done.
     */
    public static Sink<DocumentUpdate> forLoad(RagstreamConfig config, int dimension)
            throws SQLException {
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, dimension);
        options.prepareTablesForLoad(config.positive(RagstreamOptions.PARALLELISM));
        return create(options, StatusTopic.from(config));
    }

    /** Builds what a load deferred (the HNSW index); nothing when it deferred nothing. */
    public static void finishLoad(RagstreamConfig config, int dimension) throws SQLException {
        PgVectorSinkOptions.from(config, dimension).prepareTables();
    }

    /** {@code statusTopic}: where committed documents are announced; null for none. */
    public static Sink<DocumentUpdate> create(
            PgVectorSinkOptions options, StatusTopic statusTopic) {
        return switch (options.mode()) {
            case IDEMPOTENT -> new IdempotentPgVectorSink(options, statusTopic);
            case EXACTLY_ONCE -> new ExactlyOncePgVectorSink(options, statusTopic);
        };
    }
}
