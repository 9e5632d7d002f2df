package io.ragstream.search;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One search's read-only transaction: every ranking of a query, then the text of the hits shown, so
 * a document updated meanwhile shows the text that matched. Queries go together where they can
 * (pgjdbc sends the statements of one string in one round trip): the transaction's settings with
 * its first query (repeatable read, iterative scans, that is a tenant filter on an HNSW scan that
 * keeps scanning until enough rows pass it, and {@code search.timeout}, all {@code LOCAL}, so
 * nothing stays in the session, which a pooler such as PgBouncer may hand to another client),
 * {@code hnsw.ef_search} before each index scan that needs another, a hybrid search's two rankings
 * together, and the end of the transaction with its last query. A round trip was a third of a warm
 * hybrid search's time in the JVM (the socket's write, poll and read).
 */
final class SearchTransaction {
    /** A query's parameters, set from index {@code first} on; returns the next free index. */
    @FunctionalInterface
    interface Parameters {
        int set(PreparedStatement ps, int first) throws SQLException;
    }

    /** What a query's rows become. */
    @FunctionalInterface
    interface Rows {
        void read(ResultSet rs) throws SQLException;
    }

    /** A query, the rows its index scan reads (for {@code hnsw.ef_search}; 0: none), its rows. */
    record Query(String sql, int scanned, Parameters parameters, Rows rows) {}

    private final Connection connection;
    private final SearchOptions options;
    private final List<Query> queued = new ArrayList<>();
    private int efSearch;
    private boolean begun;

    SearchTransaction(Connection connection, SearchOptions options) {
        this.connection = connection;
        this.options = options;
    }

    /**
     * A query to send with the next ones this transaction runs (a hybrid search's vector ranking
     * goes with the text ranking's), or alone by the next {@link #run} of none.
     */
    void queue(Query query) {
        queued.add(query);
    }

    /**
     * The queries queued and these in one round trip, each one's rows read in turn; none, no round
     * trip.
     */
    void run(Query... queries) throws SQLException {
        send(false, queries);
    }

    /**
     * The transaction's last query (after those queued), which ends it in the same round trip (read
     * only: it is rolled back). Should it fail, the caller's rollback ends the transaction.
     */
    void runLast(Query query) throws SQLException {
        send(true, query);
    }

    private void send(boolean last, Query... ours) throws SQLException {
        List<Query> queries = new ArrayList<>(queued);
        queued.clear();
        queries.addAll(List.of(ours));
        if (queries.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder();
        if (!begun) {
            sql.append("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;")
                    .append(" SET LOCAL hnsw.iterative_scan = relaxed_order; ")
                    .append(options.statementTimeout())
                    .append("; ");
            begun = true;
        }
        for (Query query : queries) {
            if (query.scanned() > 0 && options.efSearchFor(query.scanned()) != efSearch) {
                efSearch = options.efSearchFor(query.scanned());
                sql.append("SET LOCAL hnsw.ef_search = ").append(efSearch).append("; ");
            }
            sql.append(query.sql()).append("; ");
        }
        if (last) {
            sql.append("ROLLBACK");
        }
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            int p = 1;
            for (Query query : queries) {
                p = query.parameters().set(ps, p);
            }
            boolean rows = ps.execute();
            for (Query query : queries) {
                while (!rows) { // past what the settings answered
                    if (ps.getUpdateCount() == -1) {
                        throw new SQLException("a search statement returned no rows: " + sql);
                    }
                    rows = ps.getMoreResults();
                }
                try (ResultSet rs = ps.getResultSet()) {
                    query.rows().read(rs);
                }
                rows = ps.getMoreResults();
            }
        }
    }
}
