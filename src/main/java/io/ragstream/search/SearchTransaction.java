package io.ragstream.search;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One search's read-only transaction: every ranking of a query, then the text of the hits shown, so
 * a document updated meanwhile shows the text that matched. Its settings go in the same round trip
 * as its first query (pgjdbc sends the statements of one string together): repeatable read,
 * iterative scans (a tenant filter on an HNSW scan: keep scanning until enough rows pass it),
 * {@code search.timeout} and the first index scan's {@code hnsw.ef_search}, all {@code LOCAL}, so
 * nothing stays in the session, which a pooler such as PgBouncer may hand to another client. A
 * later scan that needs another {@code hnsw.ef_search} sets it with its own query. A round trip is
 * a third of a warm hybrid search's time in the JVM (the socket's write, poll and read), so a
 * search makes as few as it can.
 */
final class SearchTransaction {
    private final Connection connection;
    private final SearchOptions options;
    private int efSearch;
    private String pending; // settings the next query sends first

    SearchTransaction(Connection connection, SearchOptions options) {
        this.connection = connection;
        this.options = options;
        this.pending = beginning();
    }

    private String beginning() {
        return "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                + " SET LOCAL hnsw.iterative_scan = relaxed_order; "
                + options.statementTimeout()
                + "; ";
    }

    /** Before an index scan that reads {@code rows} rows: its {@code hnsw.ef_search}. */
    void scanning(int rows) {
        int wanted = options.efSearchFor(rows);
        if (wanted != efSearch) {
            pending += "SET LOCAL hnsw.ef_search = " + wanted + "; ";
            efSearch = wanted;
        }
    }

    /** A query of this transaction, the settings it is owed before it (read by {@link #rows}). */
    PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(pending + sql);
        pending = "";
        return ps;
    }

    /** The query's rows, past what the settings sent before it answered. */
    static ResultSet rows(PreparedStatement ps) throws SQLException {
        boolean rows = ps.execute();
        while (!rows) {
            if (ps.getUpdateCount() == -1) {
                throw new SQLException("the statement returned no rows: " + ps);
            }
            rows = ps.getMoreResults();
        }
        return ps.getResultSet();
    }
}
