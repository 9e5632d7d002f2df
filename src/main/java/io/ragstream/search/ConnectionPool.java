package io.ragstream.search;

import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;
import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Open connections kept for the next search: opening one (a new backend process and SCRAM
 * authentication) takes longer than the search itself. Holds at most as many as were ever in
 * use at once.
 */
final class ConnectionPool implements AutoCloseable {
    private final PgVectorSinkOptions pg;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    ConnectionPool(PgVectorSinkOptions pg) {
        this.pg = pg;
    }

    Connection borrow() throws SQLException {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (!c.isClosed()) {
                return c;
            }
        }
        return connect();
    }

    /** A connection pgjdbc closed after an I/O error is dropped, not kept. */
    void giveBack(Connection c) throws SQLException {
        if (closed || c.isClosed()) {
            c.close();
            return;
        }
        idle.addFirst(c);
        if (closed && idle.remove(c)) { // closed meanwhile: nobody else will close it
            c.close();
        }
    }

    private Connection connect() throws SQLException {
        try {
            return pg.connect();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.startsWith("08")) {
                throw new SearchException("PostgreSQL at " + Secrets.redactUrl(pg.url()) + " is not reachable (" + e.getMessage()
                        + "): start it (bin/ragstream services start) or set " + RagstreamOptions.POSTGRES_URL.key(), e);
            }
            if (state.startsWith("28")) {
                throw new SearchException("PostgreSQL at " + Secrets.redactUrl(pg.url()) + " refused user " + pg.user() + " ("
                        + e.getMessage() + "): check " + RagstreamOptions.POSTGRES_USER.key() + " and "
                        + RagstreamOptions.POSTGRES_PASSWORD.key(), e);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // the session ends with the socket either way
            }
        }
    }
}
