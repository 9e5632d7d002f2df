package io.ragstream.bench;

import io.ragstream.sink.PgVectorSinkOptions;

import com.pgvector.PGvector;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's chunks as the job stored them, vectors read back as float32 (after the stored
 * rounding).
 */
final class StoredChunks {

    record Chunk(String docId, int chunkNo, String content, float[] vector) {}

    private StoredChunks() {}

    static List<Chunk> read(PgVectorSinkOptions pg, String tenant) throws SQLException {
        List<Chunk> chunks = new ArrayList<>();
        try (Connection c = pg.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT doc_id, chunk_no, content, embedding::vector FROM \""
                                        + pg.schema().chunksTable()
                                        + "\" WHERE tenant = ? ORDER BY doc_id, chunk_no")) {
            st.setString(1, tenant);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    chunks.add(
                            new Chunk(
                                    rs.getString(1),
                                    rs.getInt(2),
                                    rs.getString(3),
                                    new PGvector(rs.getString(4)).toArray()));
                }
            }
        }
        return chunks;
    }
}
