package io.ragstream.search;

import io.ragstream.sink.PgVectorSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tenant's documents ranked by BM25 over their chunks' words, each by its best chunk.
 *
 * <p>A chunk's half of BM25 is written with it: {@code content_terms} (sql/schema.sql), each
 * stemmed word's saturated, length-normalised count at the word's dimension of a sparse vector. The
 * query's half is made here: its words (the same {@code to_tsvector('english', ..)}, OR-ed: a
 * question rarely has every word of the passage that answers it), each weighted by its inverse
 * document frequency among the tenant's chunks, counted from the GIN index on {@code content_tsv}
 * ({@link TermCounts} keeps the counts a minute, since a common word's count reads every chunk that
 * holds it). The chunk's BM25 score is the inner product of the two, and the HNSW index on {@code
 * content_terms} finds the best ones without scoring every chunk that holds a query word: the cost
 * no longer grows with the tenant's matching chunks, at the price of an approximate top list, as
 * for vectors (README, Search, has both). A query of stop words, or of words no chunk of the tenant
 * holds, finds nothing. Every statement is filtered by tenant, so one tenant's corpus never weighs
 * another's.
 */
final class TextChunks {
    static final double K1 = 1.2;
    static final double B = 0.75;

    /** The chunk length BM25's length normalisation is relative to, in distinct words. */
    static final double PIVOT_WORDS = 100;

    /**
     * A word's dimension in {@code content_terms}: PostgreSQL's hash of it, as schema.sql has it.
     */
    private static final String DIMENSION = "(hashtext(lexeme)::bigint & 536870911) + 1";

    private static final int DIMENSIONS = 1_000_000_000;

    /**
     * A lexeme as a tsquery: quoted for tsquery's input (quotes and backslashes doubled), taken as
     * it is.
     */
    private static final String LEXEME_QUERY =
            "('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery";

    /** Rows fetched per document wanted, and the most before giving up on more documents. */
    private static final int CHUNKS_PER_DOCUMENT = 2;

    private static final int MAX_CHUNKS_PER_DOCUMENT = 256;

    private final SearchOptions options;
    private final ChunkContents contents;
    private final TermCounts termCounts = new TermCounts();

    /** Recent queries' words: a query's stemming never changes, and asking costs a round trip. */
    private final Map<String, Map<String, Integer>> recentWords =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Map<String, Integer>> e) {
                    return size() > RECENT_QUERIES;
                }
            };

    private static final int RECENT_QUERIES = 10_000;
    private final String wordsSql;
    private final String countsSql;
    private final String rankSql;

    TextChunks(PgVectorSchema schema, SearchOptions options, ChunkContents contents) {
        this.options = options;
        this.contents = contents;
        String table = "\"" + schema.chunksTable() + "\"";
        wordsSql =
                "SELECT lexeme, "
                        + DIMENSION
                        + " FROM (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', ?::text))) w"
                        + " ORDER BY lexeme";
        countsSql =
                "SELECT 0, count(*) FROM "
                        + table
                        + " WHERE tenant = ?"
                        + " UNION ALL SELECT w.nth, (SELECT count(*) FROM "
                        + table
                        + " c WHERE c.tenant = ? AND c.content_tsv @@ "
                        + LEXEME_QUERY
                        + ") FROM unnest(?::text[]) WITH ORDINALITY AS w(lexeme, nth)";
        rankSql =
                "SELECT doc_id, chunk_no, content_terms <#> ?::sparsevec AS distance FROM "
                        + table
                        + " WHERE tenant = ? ORDER BY distance LIMIT ?";
    }

    /** A chunk and its BM25 score. */
    private record Chunk(String docId, int chunkNo, double score) {}

    /**
     * The {@code k} best documents, best first, each as its best chunk with its BM25 score. Runs in
     * the caller's transaction, which it makes repeatable read, so the text shown is the one that
     * matched.
     */
    List<SearchHit> find(Connection connection, String tenant, String query, int k)
            throws SQLException {
        int limit = k * CHUNKS_PER_DOCUMENT;
        try (Statement st = connection.createStatement()) {
            st.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                            + " SET LOCAL hnsw.iterative_scan = relaxed_order;"
                            + efSearch(limit));
        }
        Map<String, Integer> words = words(connection, query);
        if (words.isEmpty()) {
            return List.of();
        }
        Map<String, Long> counts =
                termCounts.of(
                        tenant, List.copyOf(words.keySet()), (t, w) -> count(connection, t, w));
        String vector = queryVector(words, counts);
        if (vector == null) {
            return List.of();
        }
        List<Chunk> shown = bestChunks(connection, tenant, vector, k, limit);
        Map<String, String> text =
                contents.read(
                        connection,
                        tenant,
                        shown.stream().map(Chunk::docId).toList(),
                        shown.stream().map(Chunk::chunkNo).toList());
        return shown.stream()
                .map(
                        c ->
                                new SearchHit(
                                        c.docId(),
                                        c.chunkNo(),
                                        text.get(ChunkContents.key(c.docId(), c.chunkNo())),
                                        c.score()))
                .toList();
    }

    /** The query's distinct words, stemmed as the chunks' are, each with its dimension. */
    private Map<String, Integer> words(Connection connection, String query) throws SQLException {
        synchronized (recentWords) {
            Map<String, Integer> recent = recentWords.get(query);
            if (recent != null) {
                return recent;
            }
        }
        Map<String, Integer> words = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(wordsSql)) {
            ps.setString(1, query);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    words.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        synchronized (recentWords) {
            recentWords.put(query, Map.copyOf(words));
        }
        return words;
    }

    /** The tenant's chunks, then the chunks holding each word. */
    private long[] count(Connection connection, String tenant, List<String> words)
            throws SQLException {
        long[] counts = new long[words.size() + 1];
        try (PreparedStatement ps = connection.prepareStatement(countsSql)) {
            ps.setString(1, tenant);
            ps.setString(2, tenant);
            ps.setObject(3, words.toArray(String[]::new));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts[rs.getInt(1)] = rs.getLong(2);
                }
            }
        }
        return counts;
    }

    /**
     * The query as a sparse vector: each word the tenant's chunks hold, at its dimension, weighted
     * by its inverse document frequency (BM25's, never negative); null when no chunk holds any.
     */
    static String queryVector(Map<String, Integer> words, Map<String, Long> counts) {
        double chunks = counts.get(null);
        Map<Integer, Double> weights = new TreeMap<>(); // pgvector wants the dimensions in order
        for (Map.Entry<String, Integer> word : words.entrySet()) {
            long holding = counts.get(word.getKey());
            if (holding > 0) {
                double idf = Math.log(1 + (chunks - holding + 0.5) / (holding + 0.5));
                weights.merge(word.getValue(), idf, Double::sum); // two words, one hash
            }
        }
        if (weights.isEmpty()) {
            return null;
        }
        StringBuilder vector = new StringBuilder("{");
        weights.forEach(
                (dimension, weight) ->
                        vector.append(vector.length() > 1 ? "," : "")
                                .append(dimension)
                                .append(':')
                                .append((float) weight.doubleValue()));
        return vector.append("}/").append(DIMENSIONS).toString();
    }

    /**
     * The best chunk of each of the k best documents. A document with many matching chunks can fill
     * the first fetch alone, so while fewer than k documents are found and more chunks may match,
     * fetch four times as many.
     */
    private List<Chunk> bestChunks(
            Connection connection, String tenant, String vector, int k, int firstLimit)
            throws SQLException {
        for (int limit = firstLimit; ; limit *= 4) {
            List<Chunk> chunks = rank(connection, tenant, vector, limit);
            Map<String, Chunk> bestPerDoc = new LinkedHashMap<>();
            boolean allMatch = true;
            for (Chunk chunk : chunks) { // best first: a document's first is its best
                if (chunk.score() > 0) {
                    bestPerDoc.putIfAbsent(chunk.docId(), chunk);
                } else {
                    allMatch = false; // past the chunks that hold a query word
                }
            }
            if (bestPerDoc.size() >= k
                    || chunks.size() < limit
                    || !allMatch
                    || limit >= k * MAX_CHUNKS_PER_DOCUMENT) {
                return bestPerDoc.values().stream().limit(k).toList();
            }
            if (options.efSearchFor(limit * 4) != options.efSearchFor(limit)) {
                try (Statement st = connection.createStatement()) {
                    st.execute(efSearch(limit * 4));
                }
            }
        }
    }

    private String efSearch(int limit) {
        return " SET LOCAL hnsw.ef_search = " + options.efSearchFor(limit);
    }

    private List<Chunk> rank(Connection connection, String tenant, String vector, int limit)
            throws SQLException {
        List<Chunk> chunks = new ArrayList<>(limit);
        try (PreparedStatement ps = connection.prepareStatement(rankSql)) {
            ps.setString(1, vector);
            ps.setString(2, tenant);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    chunks.add(new Chunk(rs.getString(1), rs.getInt(2), -rs.getDouble(3)));
                }
            }
        }
        // an iterative scan's relaxed order may mix up neighbours; equal scores by document
        chunks.sort(
                Comparator.comparingDouble(Chunk::score)
                        .reversed()
                        .thenComparing(Chunk::docId)
                        .thenComparingInt(Chunk::chunkNo));
        return chunks;
    }
}
