package io.ragstream.search;

import io.ragstream.quantize.Int8Vector;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A tenant's chunks nearest to a query vector, the way each quantization is searched: float32 and
 * float16 straight from their HNSW index; binary and int8 take candidates from the index of sign
 * bits (Hamming distance) and re-rank them by the cosine distance of the stored vector (float16 in
 * SQL, int8 decoded here). Every statement is filtered by tenant.
 */
final class NearestChunks {
    private final Quantization quantization;
    private final String sql;

    NearestChunks(PgVectorSchema schema) {
        quantization = schema.quantization();
        String table = "\"" + schema.chunksTable() + "\"";
        String bits = "bit(" + schema.dimension() + ")";
        // the ORDER BY expressions are the indexed ones, so the planner can use the HNSW index
        sql =
                switch (quantization) {
                    case FLOAT32, FLOAT16 -> {
                        String query = "?::" + quantization.embeddingType();
                        yield "SELECT doc_id, chunk_no, content, embedding <=> "
                                + query
                                + " FROM "
                                + table
                                + " WHERE tenant = ? ORDER BY embedding <=> "
                                + query
                                + " LIMIT ?";
                    }
                    case BINARY ->
                            "SELECT doc_id, chunk_no, content, embedding <=> ?::halfvec FROM "
                                    + table
                                    + " WHERE tenant = ? ORDER BY binary_quantize(embedding)::"
                                    + bits
                                    + " <~> binary_quantize(?::halfvec)::"
                                    + bits
                                    + " LIMIT ?";
                    case INT8 ->
                            "SELECT doc_id, chunk_no, content, embedding, embedding_scale, embedding_offset FROM "
                                    + table
                                    + " WHERE tenant = ? ORDER BY embedding_bits <~> ?::"
                                    + bits
                                    + " LIMIT ?";
                };
    }

    /** A chunk and its cosine distance to the query. */
    record Chunk(String docId, int chunkNo, String content, double distance) {}

    /**
     * The {@code wanted} nearest chunks, nearest first; re-ranking modes take {@code candidates}
     * (at least {@code wanted}) from the index first.
     */
    List<Chunk> find(
            Connection connection, String tenant, float[] query, int wanted, int candidates)
            throws SQLException {
        int fetch = rowsRead(wanted, candidates);
        List<Chunk> chunks = new ArrayList<>(fetch);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            if (quantization == Quantization.INT8) {
                ps.setString(1, tenant);
                ps.setObject(2, Quantization.signBits(query));
                ps.setInt(3, fetch);
            } else {
                Object value = quantization.embeddingValue(query);
                ps.setObject(1, value);
                ps.setString(2, tenant);
                ps.setObject(3, value);
                ps.setInt(4, fetch);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double distance =
                            quantization == Quantization.INT8
                                    ? new Int8Vector(rs.getBytes(4), rs.getFloat(5), rs.getFloat(6))
                                            .cosineDistance(query)
                                    : rs.getDouble(4);
                    chunks.add(new Chunk(rs.getString(1), rs.getInt(2), rs.getString(3), distance));
                }
            }
        }
        // the re-rank; for the others it only undoes what an iterative scan's relaxed order mixed
        // up
        chunks.sort(Comparator.comparingDouble(Chunk::distance));
        return chunks.size() > wanted ? chunks.subList(0, wanted) : chunks;
    }

    /** How many rows {@link #find} reads: {@code hnsw.ef_search} should be at least that. */
    int rowsRead(int wanted, int candidates) {
        return quantization.reranks() ? Math.max(wanted, candidates) : wanted;
    }
}
