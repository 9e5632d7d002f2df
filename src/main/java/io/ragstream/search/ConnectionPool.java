package io.ragstream.search;

import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;
import io.ragstream.sink.PgVectorSinkOptions;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Open connections kept for the next search (HikariCP): opening one (a new backend process and
 * SCRAM authentication) takes longer than the search itself. The pool is made by the first borrow,
 * which connects at once, so an unreachable server or a refused login is reported then, naming the
 * setting to fix, rather than after a wait for a free connection.
 *
 * <p>While PostgreSQL is unreachable, one borrow at a time tries it again (up to {@code
 * postgres.connect-timeout}) and the others are refused at once with the last failure: otherwise
 * every search would wait out a connection attempt of its own, one after another, and a service
 * under load would still be working through that backlog long after its clients gave up.
 */
final class ConnectionPool implements AutoCloseable {
    /**
     * Enough for a call's parallel queries and a few concurrent callers; idle ones are closed after
     * 10 min.
     */
    private static final int MAX_CONNECTIONS = 16;

    private final PgVectorSinkOptions pg;
    private final SearchOptions options;
    private HikariDataSource pool;
    private boolean closed;

    /** Why the last borrow found PostgreSQL unreachable; null once a borrow got a connection. */
    private volatile SearchException unreachable;

    /** Whether a borrow is trying PostgreSQL again while it is unreachable. */
    private final AtomicBoolean probing = new AtomicBoolean();

    ConnectionPool(PgVectorSinkOptions pg, SearchOptions options) {
        this.pg = pg;
        this.options = options;
    }

    /** A connection to use and close: closing it gives it back. */
    Connection borrow() throws SQLException {
        SearchException down = unreachable;
        if (down != null && !probing.compareAndSet(false, true)) {
            throw again(down);
        }
        try {
            Connection connection = pool(down != null).getConnection();
            unreachable = null;
            return connection;
        } catch (SQLException e) { // Hikari's timeout carries the driver's reason
            SQLException reason = e.getCause() instanceof SQLException cause ? cause : e;
            explain(reason);
            throw reason;
        } finally {
            if (down != null) {
                probing.set(false);
            }
        }
    }

    /**
     * The pool, made now if need be; {@code probe}: this borrow may try PostgreSQL although it was
     * found unreachable (the borrows that waited for the monitor while another tried are refused).
     */
    private synchronized HikariDataSource pool(boolean probe) throws SQLException {
        if (closed) {
            throw new SQLException("the searcher is closed");
        }
        SearchException down = unreachable;
        if (pool == null && down != null && !probe) {
            throw again(down);
        }
        if (pool == null) {
            HikariConfig config = new HikariConfig();
            config.setPoolName("ragstream-search");
            config.setJdbcUrl(pg.url());
            config.setUsername(pg.user());
            config.setPassword(pg.password());
            Properties properties = pg.connectionProperties(pg.applicationName() + ":search");
            // a black-holed connection frees its search thread soon after search.timeout, not
            // after postgres.socket-timeout, which is sized for the sink's long statements
            properties.setProperty("socketTimeout", Long.toString(options.socketTimeoutSeconds()));
            config.setDataSourceProperties(properties);
            config.setMaximumPoolSize(MAX_CONNECTIONS);
            config.setMinimumIdle(0);
            config.setInitializationFailTimeout(1); // connect now, fail now
            config.setConnectionTimeout(pg.timeouts().connect().toMillis());
            try {
                pool = new HikariDataSource(config);
            } catch (HikariPool.PoolInitializationException e) {
                if (e.getCause() instanceof SQLException cause) {
                    explain(cause);
                    throw cause;
                }
                throw new SQLException(e.getMessage(), e);
            }
        }
        return pool;
    }

    /** The last failure once more, for a borrow that does not try PostgreSQL itself. */
    private static SearchException again(SearchException failure) {
        return new SearchException(failure.fault(), failure.getMessage(), failure.getCause());
    }

    /**
     * A connection or login failure as a SearchException naming the setting to fix; others are left
     * as they are.
     */
    private void explain(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08")) {
            throw unreachable =
                    new SearchException(
                            SearchException.Fault.UNAVAILABLE,
                            "PostgreSQL at "
                                    + Secrets.redactUrl(pg.url())
                                    + " is not reachable ("
                                    + e.getMessage()
                                    + "): start it (bin/ragstream services start) or set "
                                    + RagstreamOptions.POSTGRES_URL.key(),
                            e);
        }
        if (state.startsWith("28")) {
            throw new SearchException(
                    "PostgreSQL at "
                            + Secrets.redactUrl(pg.url())
                            + " refused user "
                            + pg.user()
                            + " ("
                            + e.getMessage()
                            + "): check "
                            + RagstreamOptions.POSTGRES_USER.key()
                            + " and "
                            + RagstreamOptions.POSTGRES_PASSWORD.key(),
                    e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.close();
        }
    }
}
