package io.ragstream.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/** How many of a set of documents have been written (live) since a moment, and their chunks. */
public final class IndexedDocuments implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement query;

    public record Count(long documents, long chunks) {}

    public IndexedDocuments(PgVectorSinkOptions pg, String tenant, List<String> ids, Instant since)
            throws SQLException {
        connection = pg.connect();
        query =
                connection.prepareStatement(
                        "SELECT count(*), coalesce(sum(chunk_count), 0) FROM \""
                                + pg.schema().documentsTable()
                                + "\" WHERE tenant = ? AND doc_id = ANY(?) AND updated_at >= ? AND NOT deleted");
        query.setString(1, tenant);
        query.setArray(2, connection.createArrayOf("text", ids.toArray()));
        query.setTimestamp(
                3, Timestamp.from(since.minusSeconds(1))); // the database's clock may lag a little
    }

    public Count count() throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            rs.next();
            return new Count(rs.getLong(1), rs.getLong(2));
        }
    }

    /**
     * Polls until all {@code expected} documents are written, reporting each count; gives up when
     * {@code stopped} says the job has stopped or the time is up.
     */
    public Count await(
            int expected, Duration timeout, BooleanSupplier stopped, LongConsumer progress)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Count count = count();
            progress.accept(count.documents());
            if (count.documents() >= expected) {
                return count;
            }
            if (stopped.getAsBoolean()) {
                throw new IllegalStateException(
                        "the job stopped after "
                                + count.documents()
                                + " of "
                                + expected
                                + " documents were indexed; see .ragstream/logs/ragstream.log");
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        "only "
                                + count.documents()
                                + " of "
                                + expected
                                + " documents indexed after "
                                + timeout
                                + "; see .ragstream/logs/");
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
