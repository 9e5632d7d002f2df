package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The sink's writes without a job, for loading rows whose vectors already exist (benchmarks): the
 * same statements and version guards as {@link PgVectorSink}, one transaction per call.
 */
public final class DirectWriter implements AutoCloseable {
    private final Connection connection;
    private final DocumentWriter writer;

    public DirectWriter(PgVectorSinkOptions options) throws SQLException {
        connection = options.connect();
        connection.setAutoCommit(false);
        writer = new DocumentWriter(options.schema(), options.model());
    }

    public void write(List<DocumentUpdate> updates) throws SQLException {
        try {
            writer.write(connection, updates);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
