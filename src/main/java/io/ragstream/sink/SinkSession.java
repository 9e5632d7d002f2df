package io.ragstream.sink;

import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One database session of the sink's, opened when first needed and again after a failure closed it,
 * with the sink's lock and statement timeouts.
 *
 * <p>A session that sat idle, with no transaction open, is checked before it is used again, and
 * replaced when it does not answer: in a quiet spell PostgreSQL may have restarted or ended it
 * ({@code idle_session_timeout}), or a NAT or load balancer may have dropped the route (AWS's NLB
 * after 350 s). Used as it was, the first write after the spell failed the task, or on a silent
 * route waited twice {@code postgres.socket-timeout} first. Inside a transaction it is never
 * replaced: what the transaction wrote would be lost with it, so that failure stays the task's.
 */
final class SinkSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkSession.class);

    /** Idle for this long, a session is checked before its next use. */
    static final Duration CHECK_AFTER_IDLE = Duration.ofSeconds(10);

    private final PgVectorSinkOptions options;
    private final boolean autoCommit;
    private final Duration checkAfterIdle;
    private Connection connection;
    private long lastUsed;

    SinkSession(PgVectorSinkOptions options, boolean autoCommit) {
        this(options, autoCommit, CHECK_AFTER_IDLE);
    }

    SinkSession(PgVectorSinkOptions options, boolean autoCommit, Duration checkAfterIdle) {
        this.options = options;
        this.autoCommit = autoCommit;
        this.checkAfterIdle = checkAfterIdle;
    }

    Connection get() throws SQLException {
        if (connection != null && !connection.isClosed() && idleTooLong() && !answers()) {
            LOG.info(
                    "{}: a session idle for {} s did not answer; opening a new one",
                    options,
                    (System.nanoTime() - lastUsed) / 1_000_000_000);
            close();
        }
        if (connection == null || connection.isClosed()) {
            connection = options.connect();
            options.timeouts().applyTo(connection);
            connection.setAutoCommit(autoCommit);
        }
        lastUsed = System.nanoTime();
        return connection;
    }

    private boolean idleTooLong() throws SQLException {
        return System.nanoTime() - lastUsed >= checkAfterIdle.toNanos()
                && connection.unwrap(BaseConnection.class).getTransactionState()
                        == TransactionState.IDLE;
    }

    /** One empty round trip, within the connect timeout. */
    private boolean answers() throws SQLException {
        return connection.isValid((int) Math.max(1, options.timeouts().connect().toSeconds()));
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
