package io.ragstream.search;

import io.ragstream.embed.Embedder;
import io.ragstream.sink.PgVectorSchema;
import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Top-k documents of one tenant for a query: the query is embedded the way chunks were, the
 * HNSW index finds the nearest chunks, and each document counts by its best chunk. Several
 * queries run in parallel and their rankings are fused (reciprocal rank fusion).
 */
public final class Searcher implements AutoCloseable {
    /** RRF's usual constant: damps the weight of the very first ranks. */
    private static final int RRF_K = 60;
    /** Chunks fetched per wanted document, since several chunks may belong to one document. */
    private static final int CHUNKS_PER_DOCUMENT = 4;

    private final PgVectorSinkOptions pg;
    private final SearchOptions options;
    private final Embedder embedder;
    private final NearestChunks nearest;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private volatile boolean quantizationChecked;

    public Searcher(PgVectorSinkOptions pg, Embedder embedder) {
        this(pg, SearchOptions.defaults(), embedder);
    }

    public Searcher(PgVectorSinkOptions pg, SearchOptions options, Embedder embedder) {
        this.pg = pg;
        this.options = options;
        this.embedder = embedder;
        this.nearest = new NearestChunks(pg.schema());
    }

    public List<SearchHit> search(String tenant, String query, int k) throws Exception {
        return search(tenant, embedder.embed(List.of(query)).get(0), k);
    }

    /** Each query on its own connection, at once; a single query is returned as it ranks. */
    public List<SearchHit> searchAll(String tenant, List<String> queries, int k) throws Exception {
        List<float[]> vectors = embedder.embed(queries);
        List<CompletableFuture<List<SearchHit>>> futures = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            String query = queries.get(i);
            float[] vector = vectors.get(i);
            futures.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return search(tenant, vector, k);
                } catch (SQLException e) {
                    throw new SearchException("search for '" + query + "' failed: " + e.getMessage(), e);
                }
            }, pool));
        }
        List<List<SearchHit>> rankings = new ArrayList<>();
        for (CompletableFuture<List<SearchHit>> f : futures) {
            rankings.add(f.join());
        }
        return rankings.size() == 1 ? rankings.get(0) : fuse(rankings, k);
    }

    /** Reciprocal rank fusion: a document scores Σ 1/(60 + rank) over the rankings it is in. */
    static List<SearchHit> fuse(List<List<SearchHit>> rankings, int k) {
        Map<String, Double> scores = new HashMap<>();
        Map<String, SearchHit> best = new LinkedHashMap<>();
        for (List<SearchHit> ranking : rankings) {
            for (int rank = 0; rank < ranking.size(); rank++) {
                SearchHit hit = ranking.get(rank);
                scores.merge(hit.docId(), 1.0 / (RRF_K + rank + 1), Double::sum);
                best.merge(hit.docId(), hit, (a, b) -> a.score() >= b.score() ? a : b);
            }
        }
        return best.values().stream()
                .map(h -> new SearchHit(h.docId(), h.chunkNo(), h.content(), scores.get(h.docId())))
                .sorted(Comparator.comparingDouble(SearchHit::score).reversed()
                        .thenComparing(SearchHit::docId))
                .limit(k)
                .toList();
    }

    /** The top-k documents of a tenant for an embedded query. */
    public List<SearchHit> search(String tenant, float[] vector, int k) throws SQLException {
        PgVectorSchema schema = pg.schema();
        int limit = k * CHUNKS_PER_DOCUMENT;
        int candidates = limit * options.rerankFactor();
        try (Connection c = pg.connect()) {
            checkQuantization(c);
            c.setAutoCommit(false); // SET LOCAL lasts for this transaction only
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL hnsw.ef_search = " + options.efSearchFor(nearest.rowsRead(limit, candidates)));
                // a tenant filter on an HNSW scan: keep scanning until enough rows pass it
                st.execute("SET LOCAL hnsw.iterative_scan = relaxed_order");
            }
            Map<String, SearchHit> bestPerDoc = new LinkedHashMap<>();
            try {
                for (NearestChunks.Chunk chunk : nearest.find(c, tenant, vector, limit, candidates)) {
                    SearchHit hit = new SearchHit(chunk.docId(), chunk.chunkNo(), chunk.content(), 1 - chunk.distance());
                    bestPerDoc.merge(hit.docId(), hit, (a, b) -> a.score() >= b.score() ? a : b);
                }
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) {
                    throw new SearchException("table " + schema.chunksTable() + " does not exist: start the job "
                            + "(bin/ragstream run) or create it with sql/schema.sql", e);
                }
                throw e;
            } finally {
                c.rollback();
            }
            return bestPerDoc.values().stream()
                    .sorted(Comparator.comparingDouble(SearchHit::score).reversed())
                    .limit(k)
                    .toList();
        }
    }

    /** Once: a table made for another quantization would be read wrongly, so say so instead. */
    private void checkQuantization(Connection c) throws SQLException {
        if (!quantizationChecked) {
            pg.schema().checkQuantization(c);
            quantizationChecked = true;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
