package io.ragstream.search;

import io.ragstream.quantize.Int8Vector;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSchema;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tenant's chunks nearest to a query vector, the way each quantization is searched: float32 and
 * float16 straight from their HNSW index; binary and int8 take candidates from the index of sign
 * bits (Hamming distance) and re-rank them by the cosine distance of the stored vector (float16 in
 * SQL, int8 decoded here). Every statement is filtered by tenant. Chunks are found without their
 * text ({@link ChunkContents} reads it for the few shown). The query goes once, as a binary {@code
 * real[]} ({@link Quantization#placeholders()} says why).
 */
final class NearestChunks {
    /**
     * Chunks fetched first per wanted document, by this ranking and the text one, since several
     * chunks may belong to one document; too few distinct documents fetch more. Two: on SciFact
     * (100k chunks, 10 tenants) 298 of 300 queries find 10 documents in 20 chunks, and a filtered
     * HNSW scan for 20 rows costs half one for 40 (bench search).
     */
    static final int CHUNKS_PER_DOCUMENT = 2;

    /** Where refetching stops: k documents are then not worth a longer scan. */
    static final int MAX_CHUNKS_PER_DOCUMENT = 256;

    private final Quantization quantization;
    private final int rerankFactor;
    private final String sql;

    /** {@code rerankFactor}: for int8 and binary, the candidates re-ranked per wanted chunk. */
    NearestChunks(PgVectorSchema schema, int rerankFactor) {
        quantization = schema.quantization();
        this.rerankFactor = rerankFactor;
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
     * The nearest documents of one query, each as its nearest chunk: the first fetch is queued on
     * the transaction, to go with its next round trip, and {@link #documents} fetches more while
     * they are too few.
     */
    final class Ranking {
        private final SearchTransaction transaction;
        private final String tenant;
        private final float[] vector;
        private final int k;
        private final int depth;
        private final List<Chunk> chunks = new ArrayList<>();
        private int limit;

        private Ranking(
                SearchTransaction transaction, String tenant, float[] vector, int k, int depth) {
            this.transaction = transaction;
            this.tenant = tenant;
            this.vector = vector;
            this.k = k;
            this.depth = depth;
            this.limit = depth * CHUNKS_PER_DOCUMENT;
            transaction.queue(fetch(limit));
        }

        /**
         * Up to {@code depth} documents, nearest first, each as its nearest chunk (without its
         * text) scored by its cosine similarity; the first fetch is sent now if no other query took
         * it along. A document with many close chunks can fill a fetch alone, so while fewer than k
         * documents are found and the tenant has more chunks, fetch four times as many.
         */
        List<SearchHit> documents() throws SQLException {
            transaction.run();
            while (true) {
                Map<String, Chunk> bestPerDoc = new LinkedHashMap<>();
                for (Chunk chunk : chunks) { // nearest first: a document's first is its best
                    bestPerDoc.putIfAbsent(chunk.docId(), chunk);
                }
                if (bestPerDoc.size() >= k
                        || chunks.size() < limit
                        || limit >= k * MAX_CHUNKS_PER_DOCUMENT) {
                    return bestPerDoc.values().stream()
                            .limit(depth)
                            .map(c -> new SearchHit(c.docId(), c.chunkNo(), null, 1 - c.distance()))
                            .toList();
                }
                limit *= 4;
                transaction.run(fetch(limit));
            }
        }

        /**
         * The {@code wanted} nearest chunks, nearest first, in place of those fetched before;
         * re-ranking modes take {@code wanted × rerankFactor} from the index first.
         */
        private SearchTransaction.Query fetch(int wanted) {
            int read = rowsRead(wanted, wanted * rerankFactor);
            return new SearchTransaction.Query(
                    sql,
                    read,
                    (ps, first) -> {
                        int p = first;
                        if (quantization == Quantization.INT8) {
                            ps.setString(p++, tenant);
                            ps.setObject(p++, Quantization.signBits(vector));
                        } else {
                            ps.setObject(p++, vector);
                            ps.setString(p++, tenant);
                            if (quantization == Quantization.BINARY) {
                                ps.setObject(p++, vector);
                            }
                        }
                        ps.setInt(p++, read);
                        return p;
                    },
                    rs -> {
                        List<Chunk> fetched = new ArrayList<>();
                        while (rs.next()) {
                            double distance =
                                    quantization == Quantization.INT8
                                            ? new Int8Vector(
                                                            rs.getBytes(3),
                                                            rs.getFloat(4),
                                                            rs.getFloat(5))
                                                    .cosineDistance(vector)
                                            : rs.getDouble(3);
                            fetched.add(new Chunk(rs.getString(1), rs.getInt(2), distance));
                        }
                        // the re-rank; for the others it only undoes what an iterative scan's
                        // relaxed order mixed up
                        fetched.sort(Comparator.comparingDouble(Chunk::distance));
                        chunks.clear();
                        chunks.addAll(
                                fetched.size() > wanted ? fetched.subList(0, wanted) : fetched);
                    });
        }
    }

    /**
     * A query's nearest documents in {@code transaction}: to {@code depth}, and more fetched while
     * fewer than {@code k}.
     */
    Ranking ranking(
            SearchTransaction transaction, String tenant, float[] vector, int k, int depth) {
        return new Ranking(transaction, tenant, vector, k, depth);
    }

    /** How many rows a fetch reads: {@code hnsw.ef_search} is at least that. */
    private int rowsRead(int wanted, int candidates) {
        return quantization.reranks() ? Math.max(wanted, candidates) : wanted;
    }
}
