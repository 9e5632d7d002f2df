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
     * Documents each ranking of a hybrid search brings to the fusion, at least (k when more). On
     * SciFact (top 10, MiniLM) 10 scores NDCG@10 0.7257, 20 0.7274, 50 0.7268, within what one
     * query more or less found moves it; a ranking of 20 documents reads 40 chunks, and a tenant
     * filter that keeps one row in ten then needs a second pass through the HNSW index, 1.5 against
     * 0.9 ms of PostgreSQL for the vector ranking at 100,000 chunks (README, Search).
     */
    static final int HYBRID_DEPTH = 10;

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
        this.nearest = new NearestChunks(pg.schema(), options.rerankFactor());
        this.chunkContents = new ChunkContents(pg.schema());
        this.text = new TextChunks(pg.schema());
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
        return documents(tenant, null, vector, k, SearchMode.VECTOR);
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
     * Each query's ranking on its own connection, at once. In hybrid mode a query's two rankings
     * become one by {@link #fuseScores}; the rankings of several queries, their k best documents
     * each, are fused by reciprocal rank ({@link #fuse}); a single one is returned as it ranks.
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
        // one ranking runs on the caller's thread: handing it over costs more than it saves
        boolean one = queries.size() == 1;
        List<CompletableFuture<List<SearchHit>>> rankings = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            String query = queries.get(i);
            float[] vector = vectors == null ? null : vectors.get(i);
            rankings.add(
                    rank(
                            mode == SearchMode.VECTOR ? "search" : mode + " search",
                            query,
                            () -> documents(tenant, query, vector, k, mode),
                            one));
        }
        if (one) {
            return join(rankings.get(0));
        }
        return fuse(rankings.stream().map(Searcher::join).toList(), k);
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
     * A query's k best documents in one transaction ({@link SearchTransaction}): its ranking (in
     * hybrid mode both, each to {@link #HYBRID_DEPTH}, fused), then the text of the k shown only.
     */
    private List<SearchHit> documents(
            String tenant, String query, float[] vector, int k, SearchMode mode)
            throws SQLException {
        try (Connection c = connections.borrow()) {
            c.setAutoCommit(false);
            try {
                SearchTransaction transaction = new SearchTransaction(c, options);
                List<SearchHit> ranked =
                        switch (mode) {
                            case VECTOR ->
                                    nearest.ranking(transaction, tenant, vector, k, k).documents();
                            case TEXT -> text.find(transaction, tenant, query, k, k);
                            case HYBRID -> {
                                // the vector ranking's first fetch goes with the text ranking's
                                int depth = Math.max(k, HYBRID_DEPTH);
                                NearestChunks.Ranking byVector =
                                        nearest.ranking(transaction, tenant, vector, k, depth);
                                List<SearchHit> byText =
                                        text.find(transaction, tenant, query, k, depth);
                                yield fuseScores(
                                        byVector.documents(), byText, HYBRID_VECTOR_WEIGHT, k);
                            }
                        };
                Map<String, String> contents =
                        chunkContents.read(
                                transaction,
                                tenant,
                                ranked.stream().map(SearchHit::docId).toList(),
                                ranked.stream().map(SearchHit::chunkNo).toList());
                return ranked.stream()
                        .map(
                                hit ->
                                        new SearchHit(
                                                hit.docId(),
                                                hit.chunkNo(),
                                                contents.get(
                                                        ChunkContents.key(
                                                                hit.docId(), hit.chunkNo())),
                                                hit.score()))
                        .toList();
            } finally {
                endReadOnly(c);
            }
        } catch (SQLException e) {
            SearchException lacking = whatTheTableLacks(e);
            if (lacking != null) {
                throw lacking;
            }
            throw e;
        }
    }

    /**
     * A statement's failure for want of a table (dropped since the check) or of a full-text column
     * (a table made before full-text search, or before its BM25 vectors) as what to do about it;
     * null for any other failure.
     */
    private SearchException whatTheTableLacks(SQLException e) {
        String message = String.valueOf(e.getMessage());
        if ("42703".equals(e.getSQLState())
                && (message.contains("content_terms") || message.contains("content_tsv"))) {
            return new SearchException(
                    "table "
                            + pg.schema().chunksTable()
                            + " has no full-text column "
                            + (message.contains("content_terms") ? "content_terms" : "content_tsv")
                            + ":"
                            + " it was made by an older ragstream. Start the job once (it adds the column and its index),"
                            + " or run sql/schema.sql on it, or search with --mode vector",
                    e);
        }
        if ("42P01".equals(e.getSQLState())) {
            return IndexCheck.missingTable(pg.schema().chunksTable());
        }
        return null;
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
     * Ends a search's read-only transaction where its last query did not (pgjdbc sends nothing for
     * a transaction already ended). A connection that broke during it cannot roll back, and the
     * pool drops it; the failure that broke it is the one to report, not this one.
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
