package io.ragstream.sink;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One database session of the sink's, opened when first needed and again after a failure closed it,
 * with the sink's lock and statement timeouts.
 */
final class SinkSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkSession.class);

    private final PgVectorSinkOptions options;
    private final boolean autoCommit;
    private Connection connection;

    SinkSession(PgVectorSinkOptions options, boolean autoCommit) {
        this.options = options;
        this.autoCommit = autoCommit;
    }

    Connection get() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = options.connect();
            options.timeouts().applyTo(connection);
            connection.setAutoCommit(autoCommit);
        }
        return connection;
    }

    /** Closes it, rolling back a transaction that is open and not prepared; never throws. */
    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing a session of {}", options, e);
            }
            connection = null;
        }
    }
}
