package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamConfig;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.sql.SQLException;

/**
 * Writes document updates into the pgvector tables in batches, one transaction per batch, and
 * flushes at every checkpoint: nothing acknowledged by a checkpoint is still only in memory.
 * Replays after a failure are harmless because every write is guarded by the document version.
 */
public final class PgVectorSink implements Sink<DocumentUpdate> {
    private static final long serialVersionUID = 1L;

    private final PgVectorSinkOptions options;

    public PgVectorSink(PgVectorSinkOptions options) {
        this.options = options;
    }

    /** The sink the settings describe; creates the tables first when postgres.create-tables is on. */
    public static PgVectorSink fromConfig(RagstreamConfig config, int dimension) throws SQLException {
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, dimension);
        options.prepareTables();
        return new PgVectorSink(options);
    }

    @Override
    public SinkWriter<DocumentUpdate> createWriter(WriterInitContext context) {
        return new PgVectorWriter(options, context.metricGroup());
    }
}
