package io.ragstream.search;

import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingFailure;
import io.ragstream.sink.PgVectorSinkOptions;

import org.apache.flink.util.TimeUtils;

import java.net.SocketTimeoutException;
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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Top-k documents of one tenant for a query, in one of three modes ({@link SearchMode}). vector:
 * the query is embedded the way chunks were, the HNSW index finds the nearest chunks, and each
 * document counts by its best chunk. text: BM25 over the chunks' full-text representation ({@link
 * TextChunks}). hybrid: both rankings, their scores scaled and summed ({@link #fuseScores}).
 * Several queries run in parallel and their rankings are fused by reciprocal rank ({@link #fuse}).
 */
public final class Searcher implements AutoCloseable {
    /** RRF's usual constant: damps the weight of the very first ranks. */
    private static final int RRF_K = 60;

    /**
     * Chunks fetched first per wanted document, since several chunks may belong to one document;
     * too few distinct documents fetch more ({@link #nearestDocuments}). Two: on SciFact (100k
     * chunks, 10 tenants) 298 of 300 queries find 10 documents in 20 chunks, and a filtered HNSW
     * scan for 20 rows costs half one for 40 (bench search).
     */
    private static final int CHUNKS_PER_DOCUMENT = 2;

    /** Where refetching stops: k documents are then not worth a longer scan. */
    private static final int MAX_CHUNKS_PER_DOCUMENT = 256;

    /**
     * Documents each ranking of a hybrid search brings to the fusion, at least: a document that one
     * ranking places 30th and the other 3rd can end in the top 10, so rankings cut at k would lose
     * it.
     */
    static final int HYBRID_DEPTH = 50;

    /**
     * The vector ranking's share of a hybrid score, the text ranking's the rest: equal, not fitted
     * (on SciFact 0.4 to 0.6 all measure within 0.008 of it).
     */
    static final double HYBRID_VECTOR_WEIGHT = 0.5;

    /** Rankings of one call searched at once, each on its own connection. */
    private static final int PARALLEL_QUERIES = 4;

    private final PgVectorSinkOptions pg;
    private final SearchOptions options;
    private final Embedder embedder;
    private final NearestChunks nearest;
    private final TextChunks text;
    private final ChunkContents chunkContents;
    private final ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_QUERIES);
    private final ConnectionPool connections;
    private final IndexCheck indexCheck;

    public Searcher(PgVectorSinkOptions pg, Embedder embedder) {
        this(pg, SearchOptions.defaults(), embedder);
    }

    /**
     * {@code embedder} may be null when every query comes embedded ({@link #search(String, float[],
     * int)}) or every search is a text search.
     */
    public Searcher(PgVectorSinkOptions pg, SearchOptions options, Embedder embedder) {
        this.pg = pg;
        this.options = options;
        this.embedder = embedder;
        this.nearest = new NearestChunks(pg.schema());
        this.chunkContents = new ChunkContents(pg.schema());
        this.text = new TextChunks(pg.schema(), options, chunkContents);
        this.connections = new ConnectionPool(pg, options);
        this.indexCheck =
                new IndexCheck(pg.schema(), pg.url(), pg.model(), pg.schema().dimension());
    }

    /** The top-k documents by vector search. */
    public List<SearchHit> search(String tenant, String query, int k) throws Exception {
        return searchAll(tenant, List.of(query), k, SearchMode.VECTOR);
    }

    public List<SearchHit> search(String tenant, String query, int k, SearchMode mode)
            throws Exception {
        return searchAll(tenant, List.of(query), k, mode);
    }

    /** The top-k documents of a tenant for a query embedded already (vector mode). */
    public List<SearchHit> search(String tenant, float[] vector, int k) throws SQLException {
        validate(tenant, List.of("(embedded)"), k);
        return nearestDocuments(tenant, vector, k);
    }

    /**
     * Whether PostgreSQL answers on a search connection now, within search.timeout; a
     * SearchException (unavailable) says why not.
     */
    public void ping() {
        try (Connection c = connections.borrow()) {
            inTimedTransaction(c, () -> null); // setting the timeout is the round trip
        } catch (SQLException e) {
            throw failed("reaching PostgreSQL", e);
        }
    }

    /**
     * The checks of a first search that do not depend on the tenant, now (the table's vectors are
     * of this model's dimension and of the configured quantization), so that a service started
     * against the wrong table can refuse to start.
     */
    public void checkTable() {
        check(indexCheck::verifyTable);
    }

    /** One of the index checks, on a connection of its own, bounded by search.timeout. */
    private void check(IndexCheckStep step) {
        try (Connection c = connections.borrow()) {
            inTimedTransaction(
                    c,
                    () -> {
                        step.run(c);
                        return null;
                    });
        } catch (SQLException e) {
            throw failed("checking table " + pg.schema().chunksTable(), e);
        }
    }

    @FunctionalInterface
    private interface IndexCheckStep {
        void run(Connection c) throws SQLException;
    }

    /** {@link #searchAll(String, List, int, SearchMode)} by vector search. */
    public List<SearchHit> searchAll(String tenant, List<String> queries, int k) throws Exception {
        return searchAll(tenant, queries, k, SearchMode.VECTOR);
    }

    /**
     * Each ranking (one per query, two per query in hybrid mode) on its own connection, at once. In
     * hybrid mode a query's two rankings become one by {@link #fuseScores}; the rankings of several
     * queries are fused by reciprocal rank ({@link #fuse}); a single one is returned as it ranks.
     */
    public List<SearchHit> searchAll(String tenant, List<String> queries, int k, SearchMode mode)
            throws Exception {
        validate(tenant, queries, k);
        if (mode.usesVectors() && embedder == null) {
            throw new SearchException(
                    "a " + mode + " search needs the embedding model, and this searcher has none",
                    null);
        }
        List<float[]> vectors = mode.usesVectors() ? embed(queries) : null;
        int depth = mode == SearchMode.HYBRID ? Math.max(k, HYBRID_DEPTH) : k;
        // one ranking runs on the caller's thread: handing it over costs more than it saves; of a
        // hybrid search's two, the text one goes to the pool first and the vector one stays
        boolean one = queries.size() == 1;
        List<CompletableFuture<List<SearchHit>>> vectorRankings = new ArrayList<>();
        List<CompletableFuture<List<SearchHit>>> textRankings = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            String query = queries.get(i);
            if (mode.usesText()) {
                textRankings.add(
                        rank(
                                "text search",
                                query,
                                () -> textDocuments(tenant, query, depth),
                                one && mode == SearchMode.TEXT));
            }
            if (mode.usesVectors()) {
                float[] vector = vectors.get(i);
                vectorRankings.add(
                        rank("search", query, () -> nearestDocuments(tenant, vector, depth), one));
            }
        }
        List<List<SearchHit>> rankings = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            rankings.add(
                    switch (mode) {
                        case VECTOR -> join(vectorRankings.get(i));
                        case TEXT -> join(textRankings.get(i));
                        case HYBRID ->
                                fuseScores(
                                        join(vectorRankings.get(i)),
                                        join(textRankings.get(i)),
                                        HYBRID_VECTOR_WEIGHT,
                                        depth);
                    });
        }
        if (rankings.size() == 1) {
            List<SearchHit> ranking = rankings.get(0);
            return ranking.size() > k ? ranking.subList(0, k) : ranking;
        }
        return fuse(rankings, k);
    }

    /** The queries' vectors; a backend's failure keeps its kind (retry, fix the query, fix it). */
    private List<float[]> embed(List<String> queries) throws Exception {
        try {
            return embedder.embed(queries);
        } catch (EmbeddingFailure e) {
            SearchException.Fault fault =
                    switch (e.kind()) {
                        case TRANSIENT -> SearchException.Fault.UNAVAILABLE;
                        case PERMANENT -> SearchException.Fault.REQUEST;
                        case MISCONFIGURED -> SearchException.Fault.SETUP;
                    };
            throw new SearchException(fault, "embedding the queries failed: " + e.getMessage(), e);
        }
    }

    private static List<SearchHit> join(CompletableFuture<List<SearchHit>> ranking) {
        try {
            return ranking.join();
        } catch (CompletionException e) { // the caller wants the SearchException, not its wrapper
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * Relative score fusion of one query's two rankings: each ranking's scores scaled to [0, 1] by
     * its own lowest and highest, then weighted ({@code vectorWeight}, and the rest for text) and
     * summed; a document missing from a ranking gets nothing from it. Unlike reciprocal rank, it
     * keeps how far apart the scores are: a document far ahead in one ranking stays ahead. On
     * SciFact it measures NDCG@10 0.734 against reciprocal rank's 0.711 (README, Search). A
     * document is shown by the chunk of the ranking that gave it more.
     */
    static List<SearchHit> fuseScores(
            List<SearchHit> vector, List<SearchHit> text, double vectorWeight, int k) {
        Map<String, Double> scores = new HashMap<>();
        Map<String, SearchHit> shown = new LinkedHashMap<>();
        Map<String, Double> shownShare = new HashMap<>();
        for (int r = 0; r < 2; r++) {
            List<SearchHit> ranking = r == 0 ? vector : text;
            double weight = r == 0 ? vectorWeight : 1 - vectorWeight;
            double lo = ranking.stream().mapToDouble(SearchHit::score).min().orElse(0);
            double hi = ranking.stream().mapToDouble(SearchHit::score).max().orElse(0);
            for (SearchHit hit : ranking) {
                double share = weight * (hi > lo ? (hit.score() - lo) / (hi - lo) : 1);
                scores.merge(hit.docId(), share, Double::sum);
                if (share > shownShare.getOrDefault(hit.docId(), -1.0)) {
                    shown.put(hit.docId(), hit);
                    shownShare.put(hit.docId(), share);
                }
            }
        }
        return shown.values().stream()
                .map(h -> new SearchHit(h.docId(), h.chunkNo(), h.content(), scores.get(h.docId())))
                .sorted(
                        Comparator.comparingDouble(SearchHit::score)
                                .reversed()
                                .thenComparing(SearchHit::docId))
                .limit(k)
                .toList();
    }

    /**
     * Arguments first, then whether the table can answer this model's queries (once per table and
     * tenant).
     */
    private void validate(String tenant, List<String> queries, int k) {
        if (tenant == null || tenant.isBlank()) {
            throw SearchException.badRequest("a search needs a tenant");
        }
        if (queries.isEmpty() || queries.stream().anyMatch(q -> q == null || q.isBlank())) {
            throw SearchException.badRequest(
                    "a search needs at least one query, and no blank one: " + queries);
        }
        // PostgreSQL's text cannot hold U+0000, so no tenant has it and no query can be sent
        if (tenant.indexOf('\0') >= 0 || queries.stream().anyMatch(q -> q.indexOf('\0') >= 0)) {
            throw SearchException.badRequest(
                    "a tenant or query holds a NUL character (U+0000), which no stored text can");
        }
        if (k < 1) {
            throw SearchException.badRequest(
                    "k (documents to return) must be at least 1, was " + k);
        }
        if (!indexCheck.verified(tenant)) {
            check(c -> indexCheck.verify(c, tenant));
        }
    }

    /**
     * A failed statement as a SearchException; one that ran out of time names search.timeout,
     * whether PostgreSQL cancelled it or the connection stayed silent past it.
     */
    private SearchException failed(String what, SQLException e) {
        if ("57014".equals(e.getSQLState()) || e.getCause() instanceof SocketTimeoutException) {
            return new SearchException(
                    SearchException.Fault.UNAVAILABLE,
                    what
                            + " took longer than "
                            + RagstreamOptions.SEARCH_TIMEOUT.key()
                            + " ("
                            + TimeUtils.formatWithHighestUnit(options.timeout())
                            + (e.getCause() instanceof SocketTimeoutException
                                    ? ", and the connection then stayed silent"
                                    : "")
                            + ")",
                    e);
        }
        return SearchException.of(what, e);
    }

    /** Of two hits of one document, the one whose chunk matched better. */
    private static SearchHit better(SearchHit a, SearchHit b) {
        return a.score() >= b.score() ? a : b;
    }

    /**
     * Reciprocal rank fusion: a document scores Σ 1/(60 + rank) over the rankings it is in, and is
     * shown by the chunk of its best placing (of equal placings, the better-scored chunk: scores
     * are compared only between rankings of one kind, where they mean the same).
     */
    static List<SearchHit> fuse(List<List<SearchHit>> rankings, int k) {
        Map<String, Double> scores = new HashMap<>();
        Map<String, SearchHit> best = new LinkedHashMap<>();
        Map<String, Integer> bestRank = new HashMap<>();
        for (List<SearchHit> ranking : rankings) {
            for (int rank = 0; rank < ranking.size(); rank++) {
                SearchHit hit = ranking.get(rank);
                scores.merge(hit.docId(), 1.0 / (RRF_K + rank + 1), Double::sum);
                int placed = bestRank.getOrDefault(hit.docId(), Integer.MAX_VALUE);
                if (rank < placed) {
                    best.put(hit.docId(), hit);
                    bestRank.put(hit.docId(), rank);
                } else if (rank == placed) {
                    best.merge(hit.docId(), hit, Searcher::better);
                }
            }
        }
        return best.values().stream()
                .map(h -> new SearchHit(h.docId(), h.chunkNo(), h.content(), scores.get(h.docId())))
                .sorted(
                        Comparator.comparingDouble(SearchHit::score)
                                .reversed()
                                .thenComparing(SearchHit::docId))
                .limit(k)
                .toList();
    }

    /**
     * The k documents whose chunks match the query's words best (full-text, {@link TextChunks}).
     */
    private List<SearchHit> textDocuments(String tenant, String query, int k) throws SQLException {
        try (Connection c = connections.borrow()) {
            c.setAutoCommit(false);
            try {
                return text.find(c, tenant, query, k);
            } finally {
                endReadOnly(c);
            }
        } catch (SQLException e) {
            if ("42703".equals(e.getSQLState())) { // undefined column: a table made before
                // full-text search, or before its BM25 vectors
                String column =
                        String.valueOf(e.getMessage()).contains("content_terms")
                                ? "content_terms"
                                : "content_tsv";
                throw new SearchException(
                        "table "
                                + pg.schema().chunksTable()
                                + " has no full-text column "
                                + column
                                + ":"
                                + " it was made by an older ragstream. Start the job once (it adds the column and its index),"
                                + " or run sql/schema.sql on it, or search with --mode vector",
                        e);
            }
            if ("42P01".equals(e.getSQLState())) { // dropped since the check
                throw IndexCheck.missingTable(pg.schema().chunksTable());
            }
            throw e;
        }
    }

    /**
     * The k documents whose best chunks are nearest. The chunks and then the text of the k shown
     * are read in one repeatable-read transaction, so a document updated meanwhile shows the text
     * that matched.
     */
    private List<SearchHit> nearestDocuments(String tenant, float[] vector, int k)
            throws SQLException {
        try (Connection c = connections.borrow()) {
            c.setAutoCommit(false);
            try {
                List<NearestChunks.Chunk> shown = bestChunks(c, tenant, vector, k);
                Map<String, String> contents =
                        chunkContents.read(
                                c,
                                tenant,
                                shown.stream().map(NearestChunks.Chunk::docId).toList(),
                                shown.stream().map(NearestChunks.Chunk::chunkNo).toList());
                return shown.stream()
                        .map(
                                chunk ->
                                        new SearchHit(
                                                chunk.docId(),
                                                chunk.chunkNo(),
                                                contents.get(
                                                        ChunkContents.key(
                                                                chunk.docId(), chunk.chunkNo())),
                                                1 - chunk.distance()))
                        .toList();
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) { // dropped since the check
                    throw IndexCheck.missingTable(pg.schema().chunksTable());
                }
                throw e;
            } finally {
                endReadOnly(c);
            }
        }
    }

    /**
     * The best chunk of each of the k nearest documents, nearest first. A document with many close
     * chunks can fill the first fetch alone, so while fewer than k documents are found and the
     * tenant has more chunks, fetch four times as many.
     */
    private List<NearestChunks.Chunk> bestChunks(Connection c, String tenant, float[] vector, int k)
            throws SQLException {
        int limit = k * CHUNKS_PER_DOCUMENT;
        for (boolean first = true; ; first = false) {
            List<NearestChunks.Chunk> chunks = nearestChunks(c, tenant, vector, limit, first);
            Map<String, NearestChunks.Chunk> bestPerDoc = new LinkedHashMap<>();
            for (NearestChunks.Chunk chunk : chunks) { // nearest first: a document's first is best
                bestPerDoc.putIfAbsent(chunk.docId(), chunk);
            }
            if (bestPerDoc.size() >= k
                    || chunks.size() < limit
                    || limit >= k * MAX_CHUNKS_PER_DOCUMENT) {
                return bestPerDoc.values().stream().limit(k).toList();
            }
            limit *= 4;
        }
    }

    /**
     * The nearest chunks by the configured quantization's query (int8 and binary re-rank their
     * candidates), read in the transaction of the search. The first fetch also begins it:
     * repeatable read, iterative scans (a tenant filter on an HNSW scan: keep scanning until enough
     * rows pass it) and the fetch's {@code hnsw.ef_search}, in one round trip, all {@code LOCAL}:
     * nothing stays in the session, which a pooler such as PgBouncer may hand to another client.
     */
    private List<NearestChunks.Chunk> nearestChunks(
            Connection c, String tenant, float[] vector, int limit, boolean first)
            throws SQLException {
        int candidates = limit * options.rerankFactor();
        String efSearch =
                "SET LOCAL hnsw.ef_search = "
                        + options.efSearchFor(nearest.rowsRead(limit, candidates));
        try (Statement st = c.createStatement()) {
            st.execute(
                    first
                            ? "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                                    + " SET LOCAL hnsw.iterative_scan = relaxed_order; "
                                    + options.statementTimeout()
                                    + "; "
                                    + efSearch
                            : efSearch);
        }
        return nearest.find(c, tenant, vector, limit, candidates);
    }

    /** {@code work} in a read-only transaction whose statements may each run search.timeout. */
    private <T> T inTimedTransaction(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(options.statementTimeout());
            return work.run();
        } finally {
            endReadOnly(c);
        }
    }

    /** Statements to run: a ranking's query, a check. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Ends a search's read-only transaction. A connection that broke during it cannot roll back,
     * and the pool drops it; the failure that broke it is the one to report, not this one.
     */
    private static void endReadOnly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // broken: what the search threw says why
        }
    }

    /** A ranking run now ({@code inline}) or on the pool. */
    private CompletableFuture<List<SearchHit>> rank(
            String what, String query, Work<List<SearchHit>> ranking, boolean inline) {
        Supplier<List<SearchHit>> run =
                () -> {
                    try {
                        return ranking.run();
                    } catch (SQLException e) {
                        throw failed(what + " for '" + query + "'", e);
                    }
                };
        return inline
                ? CompletableFuture.completedFuture(run.get())
                : CompletableFuture.supplyAsync(run, pool);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        connections.close();
    }
}
