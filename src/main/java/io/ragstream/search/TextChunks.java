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
import java.util.stream.Collectors;

/**
 * A tenant's documents ranked by BM25 over their chunks' words, each by its best chunk.
 *
 * <p>A chunk's half of BM25 is written with it: {@code content_terms} (sql/schema.sql), each
 * stemmed word's saturated, length-normalised count at the word's dimension of a sparse vector. The
 * query's half is made here: its words (the same {@code to_tsvector('english', ..)}, OR-ed: a
 * question rarely has every word of the passage that answers it), each weighted by its inverse
 * document frequency among the tenant's chunks, counted from the GIN index on {@code content_tsv}
 * ({@link TermCounts} keeps the counts a minute, since a common word's count reads every chunk that
 * holds it). The chunk's BM25 score is the inner product of the two. The chunks holding the query's
 * rarest words, up to {@link #EXACT_BUDGET} of them, are each scored (found through the GIN index),
 * so the ranking is exact when every word fits; else the HNSW index on {@code content_terms} finds
 * the best of the rest without scoring every chunk that holds a query word: the cost no longer
 * grows with the tenant's matching chunks, at the price of an approximate top list, as for vectors
 * (README, Search, has both). A query of stop words, or of words no chunk of the tenant holds,
 * finds nothing. Every statement is filtered by tenant, so one tenant's corpus never weighs
 * another's.
 */
final class TextChunks {
    /**
     * The chunk length BM25's length normalisation (k1 1.2, b 0.75) is relative to, in distinct
     * words, as schema.sql's {@code ragstream_bm25_terms} has it.
     */
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

    /**
     * How many chunks the rarest query words may hold for all of them to be scored, found through
     * the GIN index. When every query word fits, the ranking is exact (and cheaper than the HNSW
     * index's walk through other tenants' rows to a small tenant's).
     */
    static final long EXACT_BUDGET = 300;

    /** Rows fetched per document wanted, and the most before giving up on more documents. */
    private static final int CHUNKS_PER_DOCUMENT = 2;

    private static final int MAX_CHUNKS_PER_DOCUMENT = 256;

    private static final int RECENT_QUERIES = 10_000;

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

    private final String wordsSql;
    private final String countsSql;
    private final String rankSql;
    private final String exactSql;

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
        exactSql =
                "SELECT doc_id, chunk_no, content_terms <#> ?::sparsevec AS distance FROM "
                        + table
                        + " WHERE tenant = ? AND content_tsv @@ ?::tsquery";
    }

    /** A chunk and its BM25 score. */
    private record Chunk(String docId, int chunkNo, double score) {}

    /** Equal scores by document, then chunk. */
    private static final Comparator<Chunk> BEST_FIRST =
            Comparator.comparingDouble(Chunk::score)
                    .reversed()
                    .thenComparing(Chunk::docId)
                    .thenComparingInt(Chunk::chunkNo);

    /**
     * The {@code k} best documents, best first, each as its best chunk with its BM25 score. Begins
     * the caller's transaction: repeatable read (so the text shown is the one that matched),
     * iterative scans, {@code search.timeout}, all {@code LOCAL} in one round trip.
     */
    List<SearchHit> find(Connection connection, String tenant, String query, int k)
            throws SQLException {
        int limit = k * CHUNKS_PER_DOCUMENT;
        try (Statement st = connection.createStatement()) {
            st.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                            + " SET LOCAL hnsw.iterative_scan = relaxed_order; "
                            + options.statementTimeout()
                            + ";"
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
        // the rarest words, as many as hold at most EXACT_BUDGET chunks: their chunks are few to
        // score, and they are what a walk through the index is likeliest to miss
        List<String> rarest = new ArrayList<>();
        long holding = 0;
        for (String word :
                words.keySet().stream()
                        .filter(w -> counts.get(w) > 0)
                        .sorted(Comparator.comparingLong(counts::get))
                        .toList()) {
            holding += counts.get(word);
            if (holding > EXACT_BUDGET) {
                break;
            }
            rarest.add(word);
        }
        List<Chunk> scored =
                rarest.isEmpty() ? List.of() : scoreAll(connection, tenant, vector, rarest);
        List<Chunk> shown =
                holding <= EXACT_BUDGET // every word's chunks are scored: the ranking is exact
                        ? best(scored, k)
                        : bestChunks(connection, tenant, vector, k, limit, scored);
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
     * The best chunk of each of the k best documents, of those the HNSW index finds and those
     * already {@code scored}. A document with many matching chunks can fill the first fetch alone,
     * so while fewer than k documents are found and more chunks may match, fetch four times as
     * many.
     */
    private List<Chunk> bestChunks(
            Connection connection,
            String tenant,
            String vector,
            int k,
            int firstLimit,
            List<Chunk> scored)
            throws SQLException {
        for (int limit = firstLimit; ; limit *= 4) {
            List<Chunk> chunks = rank(connection, tenant, vector, limit);
            List<Chunk> best = best(merge(chunks, scored), k);
            boolean pastTheMatches = chunks.stream().anyMatch(c -> c.score() <= 0);
            if (best.size() >= k
                    || chunks.size() < limit
                    || pastTheMatches
                    || limit >= k * MAX_CHUNKS_PER_DOCUMENT) {
                return best;
            }
            if (options.efSearchFor(limit * 4) != options.efSearchFor(limit)) {
                try (Statement st = connection.createStatement()) {
                    st.execute(efSearch(limit * 4));
                }
            }
        }
    }

    /**
     * Of chunks best first, the first (best) of each document that holds a query word, k at most.
     */
    private static List<Chunk> best(List<Chunk> chunks, int k) {
        Map<String, Chunk> bestPerDoc = new LinkedHashMap<>();
        for (Chunk chunk : chunks) {
            if (chunk.score() > 0) {
                bestPerDoc.putIfAbsent(chunk.docId(), chunk);
            }
        }
        return bestPerDoc.values().stream().limit(k).toList();
    }

    /** Two lists of chunks best first as one, each chunk once (both score it the same). */
    private static List<Chunk> merge(List<Chunk> found, List<Chunk> scored) {
        if (scored.isEmpty()) {
            return found;
        }
        Map<String, Chunk> all = new LinkedHashMap<>();
        for (Chunk chunk : found) {
            all.put(ChunkContents.key(chunk.docId(), chunk.chunkNo()), chunk);
        }
        for (Chunk chunk : scored) {
            all.putIfAbsent(ChunkContents.key(chunk.docId(), chunk.chunkNo()), chunk);
        }
        List<Chunk> merged = new ArrayList<>(all.values());
        merged.sort(BEST_FIRST);
        return merged;
    }

    /** Every chunk of the tenant that holds one of {@code words}, scored, best first. */
    private List<Chunk> scoreAll(
            Connection connection, String tenant, String vector, List<String> words)
            throws SQLException {
        String anyWord =
                words.stream()
                        .map(w -> "'" + w.replace("\\", "\\\\").replace("'", "''") + "'")
                        .collect(Collectors.joining(" | "));
        try (PreparedStatement ps = connection.prepareStatement(exactSql)) {
            ps.setString(1, vector);
            ps.setString(2, tenant);
            ps.setString(3, anyWord);
            return chunks(ps);
        }
    }

    private String efSearch(int limit) {
        return " SET LOCAL hnsw.ef_search = " + options.efSearchFor(limit);
    }

    private List<Chunk> rank(Connection connection, String tenant, String vector, int limit)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(rankSql)) {
            ps.setString(1, vector);
            ps.setString(2, tenant);
            ps.setInt(3, limit);
            return chunks(ps);
        }
    }

    /** The statement's chunks, best first (equal scores by document). */
    private static List<Chunk> chunks(PreparedStatement ps) throws SQLException {
        List<Chunk> chunks = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                chunks.add(new Chunk(rs.getString(1), rs.getInt(2), -rs.getDouble(3)));
            }
        }
        chunks.sort(BEST_FIRST); // an iterative scan's relaxed order may mix up neighbours
        return chunks;
    }
}
