package io.ragstream.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/** How many of a set of documents have been written (live) since a moment, and their chunks. */
public final class IndexedDocuments implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement query;

    public record Count(long documents, long chunks) {}

    public IndexedDocuments(PgVectorSinkOptions pg, String tenant, List<String> ids, Instant since) throws SQLException {
        connection = pg.connect();
        query = connection.prepareStatement("SELECT count(*), coalesce(sum(chunk_count), 0) FROM \""
                + pg.schema().documentsTable() + "\" WHERE tenant = ? AND doc_id = ANY(?) AND updated_at >= ? AND NOT deleted");
        query.setString(1, tenant);
        query.setArray(2, connection.createArrayOf("text", ids.toArray()));
        query.setTimestamp(3, Timestamp.from(since.minusSeconds(1))); // the database's clock may lag a little
    }

    public Count count() throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            rs.next();
            return new Count(rs.getLong(1), rs.getLong(2));
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
