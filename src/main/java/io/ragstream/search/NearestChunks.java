package io.ragstream.search;

import io.ragstream.quantize.Int8Vector;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSchema;

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
 * SQL, int8 decoded here). Every statement is filtered by tenant. Chunks are found without their
 * text ({@link ChunkContents} reads it for the few shown). The query goes once, as a binary {@code
 * real[]} ({@link Quantization#placeholders()} says why).
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
                    case FLOAT32, FLOAT16 ->
                            "SELECT doc_id, chunk_no, embedding <=> ?::real[]::"
                                    + quantization.embeddingType()
                                    + " AS distance FROM "
                                    + table
                                    + " WHERE tenant = ? ORDER BY distance LIMIT ?";
                    case BINARY ->
                            "SELECT doc_id, chunk_no, embedding <=> ?::real[]::halfvec FROM "
                                    + table
                                    + " WHERE tenant = ? ORDER BY binary_quantize(embedding)::"
                                    + bits
                                    + " <~> binary_quantize(?::real[]::halfvec)::"
                                    + bits
                                    + " LIMIT ?";
                    case INT8 ->
                            "SELECT doc_id, chunk_no, embedding, embedding_scale, embedding_offset FROM "
                                    + table
                                    + " WHERE tenant = ? ORDER BY embedding_bits <~> ?::"
                                    + bits
                                    + " LIMIT ?";
                };
    }

    /** A chunk and its cosine distance to the query. */
    record Chunk(String docId, int chunkNo, double distance) {}

    /**
     * The {@code wanted} nearest chunks, nearest first; re-ranking modes take {@code candidates}
     * (at least {@code wanted}) from the index first.
     */
    List<Chunk> find(
            SearchTransaction transaction, String tenant, float[] query, int wanted, int candidates)
            throws SQLException {
        int fetch = rowsRead(wanted, candidates);
        transaction.scanning(fetch);
        List<Chunk> chunks = new ArrayList<>(fetch);
        try (PreparedStatement ps = transaction.prepare(sql)) {
            int p = 1;
            if (quantization == Quantization.INT8) {
                ps.setString(p++, tenant);
                ps.setObject(p++, Quantization.signBits(query));
            } else {
                ps.setObject(p++, query);
                ps.setString(p++, tenant);
                if (quantization == Quantization.BINARY) {
                    ps.setObject(p++, query);
                }
            }
            ps.setInt(p, fetch);
            try (ResultSet rs = SearchTransaction.rows(ps)) {
                while (rs.next()) {
                    double distance =
                            quantization == Quantization.INT8
                                    ? new Int8Vector(rs.getBytes(3), rs.getFloat(4), rs.getFloat(5))
                                            .cosineDistance(query)
                                    : rs.getDouble(3);
                    chunks.add(new Chunk(rs.getString(1), rs.getInt(2), distance));
                }
            }
        }
        // the re-rank; for the others it only undoes what an iterative scan's relaxed order mixed
        // up
        chunks.sort(Comparator.comparingDouble(Chunk::distance));
        return chunks.size() > wanted ? chunks.subList(0, wanted) : chunks;
    }

    /** How many rows {@link #find} reads: {@code hnsw.ef_search} is at least that. */
    private int rowsRead(int wanted, int candidates) {
        return quantization.reranks() ? Math.max(wanted, candidates) : wanted;
    }
}
