package io.ragstream.search;

import io.ragstream.sink.PgVectorSchema;

import java.sql.PreparedStatement;
import java.sql.SQLException;
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

    private static final int RECENT_QUERIES = 10_000;

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
    private final String wordCountsSql;
    private final String walkSql;
    private final String exactSql;
    private final String exactAndWalkSql;

    TextChunks(PgVectorSchema schema) {
        String table = "\"" + schema.chunksTable() + "\"";
        wordsSql =
                "SELECT lexeme, "
                        + DIMENSION
                        + " FROM (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', ?::text))) w"
                        + " ORDER BY lexeme";
        wordCountsSql =
                "SELECT w.nth, (SELECT count(*) FROM "
                        + table
                        + " c WHERE c.tenant = ? AND c.content_tsv @@ "
                        + LEXEME_QUERY
                        + ") FROM unnest(?::text[]) WITH ORDINALITY AS w(lexeme, nth)";
        countsSql =
                "SELECT 0, count(*) FROM " + table + " WHERE tenant = ? UNION ALL " + wordCountsSql;
        walkSql =
                "SELECT false, doc_id, chunk_no, content_terms <#> ?::sparsevec AS distance FROM "
                        + table
                        + " WHERE tenant = ? ORDER BY distance LIMIT ?";
        // the best chunk of each document, and of those the best documents: PostgreSQL sorts the
        // few hundred scored chunks, and only what can be shown comes back
        exactSql =
                "SELECT true, doc_id, chunk_no, distance FROM (SELECT DISTINCT ON (doc_id) doc_id, chunk_no,"
                        + " content_terms <#> ?::sparsevec AS distance FROM "
                        + table
                        + " WHERE tenant = ? AND content_tsv @@ ?::tsquery"
                        + " ORDER BY doc_id, distance, chunk_no) best ORDER BY distance, doc_id LIMIT ?";
        exactAndWalkSql = "(" + exactSql + ") UNION ALL (" + walkSql + ")";
    }

    /** A chunk and its BM25 score; {@code exact}: found by scoring every chunk of rare words. */
    private record Chunk(boolean exact, String docId, int chunkNo, double score) {}

    /** Equal scores by document, then chunk. */
    private static final Comparator<Chunk> BEST_FIRST =
            Comparator.comparingDouble(Chunk::score)
                    .reversed()
                    .thenComparing(Chunk::docId)
                    .thenComparingInt(Chunk::chunkNo);

    /**
     * The best documents, best first, each as its best chunk (without its text) with its BM25
     * score: up to {@code depth} of those the first fetch finds, more fetched only while they are
     * fewer than {@code k}.
     */
    List<SearchHit> find(
            SearchTransaction transaction, String tenant, String query, int k, int depth)
            throws SQLException {
        Map<String, Integer> words = words(transaction, query);
        if (words.isEmpty()) {
            return List.of();
        }
        Map<String, Long> counts =
                termCounts.of(
                        tenant,
                        List.copyOf(words.keySet()),
                        (t, w, tenantToo) -> count(transaction, t, w, tenantToo));
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
        Ranking ranking = new Ranking(transaction, tenant, vector, anyOf(rarest), depth);
        List<Chunk> shown =
                holding <= EXACT_BUDGET // every word's chunks are scored: the ranking is exact
                        ? best(ranking.exact(), depth)
                        : ranking.withWalk(k);
        return shown.stream()
                .map(c -> new SearchHit(c.docId(), c.chunkNo(), null, c.score()))
                .toList();
    }

    /** Words as a tsquery that any of them matches, each taken as it is; null for none. */
    private static String anyOf(List<String> words) {
        return words.isEmpty()
                ? null
                : words.stream()
                        .map(w -> "'" + w.replace("\\", "\\\\").replace("'", "''") + "'")
                        .collect(Collectors.joining(" | "));
    }

    /** The query's distinct words, stemmed as the chunks' are, each with its dimension. */
    private Map<String, Integer> words(SearchTransaction transaction, String query)
            throws SQLException {
        synchronized (recentWords) {
            Map<String, Integer> recent = recentWords.get(query);
            if (recent != null) {
                return recent;
            }
        }
        Map<String, Integer> words = new LinkedHashMap<>();
        transaction.run(
                new SearchTransaction.Query(
                        wordsSql,
                        0,
                        (ps, first) -> {
                            ps.setString(first, query);
                            return first + 1;
                        },
                        rs -> {
                            while (rs.next()) {
                                words.put(rs.getString(1), rs.getInt(2));
                            }
                        }));
        synchronized (recentWords) {
            recentWords.put(query, Map.copyOf(words));
        }
        return words;
    }

    /** The tenant's chunks (when asked; else -1), then the chunks holding each word. */
    private long[] count(
            SearchTransaction transaction, String tenant, List<String> words, boolean tenantToo)
            throws SQLException {
        long[] counts = new long[words.size() + 1];
        counts[0] = -1;
        transaction.run(
                new SearchTransaction.Query(
                        tenantToo ? countsSql : wordCountsSql,
                        0,
                        (ps, first) -> {
                            int p = first;
                            if (tenantToo) {
                                ps.setString(p++, tenant);
                            }
                            ps.setString(p++, tenant);
                            ps.setObject(p++, words.toArray(String[]::new));
                            return p;
                        },
                        rs -> {
                            while (rs.next()) {
                                counts[rs.getInt(1)] = rs.getLong(2);
                            }
                        }));
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
                // the tenant's count may be newer than the word's: never below zero
                double idf = Math.log(1 + Math.max(0, chunks - holding + 0.5) / (holding + 0.5));
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
     * One query's chunks: those of its rarest words ({@code anyRare}, null for none), each scored,
     * and those the HNSW index finds, in one round trip when both are wanted.
     */
    private final class Ranking {
        private final SearchTransaction transaction;
        private final String tenant;
        private final String vector;
        private final String anyRare;
        private final int depth;

        Ranking(
                SearchTransaction transaction,
                String tenant,
                String vector,
                String anyRare,
                int depth) {
            this.transaction = transaction;
            this.tenant = tenant;
            this.vector = vector;
            this.anyRare = anyRare;
            this.depth = depth;
        }

        /** The best chunk of each of the {@code depth} best documents that hold a rare word. */
        List<Chunk> exact() throws SQLException {
            List<Chunk> chunks = new ArrayList<>();
            transaction.run(
                    new SearchTransaction.Query(exactSql, 0, this::exactParameters, rows(chunks)));
            return chunks;
        }

        /**
         * The best chunk of each of the {@code depth} best documents, of those the HNSW index finds
         * and those of the rare words (scored in the first fetch). A document with many matching
         * chunks can fill a fetch alone, so while fewer than k documents are found and more chunks
         * may match, fetch four times as many.
         */
        List<Chunk> withWalk(int k) throws SQLException {
            List<Chunk> scored = null;
            for (int limit = depth * NearestChunks.CHUNKS_PER_DOCUMENT; ; limit *= 4) {
                int rows = limit;
                boolean exactToo = scored == null && anyRare != null;
                List<Chunk> chunks = new ArrayList<>();
                transaction.run(
                        new SearchTransaction.Query(
                                exactToo ? exactAndWalkSql : walkSql,
                                limit,
                                (ps, first) -> {
                                    int p = exactToo ? exactParameters(ps, first) : first;
                                    ps.setString(p++, vector);
                                    ps.setString(p++, tenant);
                                    ps.setInt(p++, rows);
                                    return p;
                                },
                                rows(chunks)));
                if (scored == null) {
                    scored = chunks.stream().filter(Chunk::exact).toList();
                }
                List<Chunk> walked = chunks.stream().filter(c -> !c.exact()).toList();
                List<Chunk> best = best(merge(walked, scored), depth);
                boolean pastTheMatches = walked.stream().anyMatch(c -> c.score() <= 0);
                if (best.size() >= k
                        || walked.size() < limit
                        || pastTheMatches
                        || limit >= k * NearestChunks.MAX_CHUNKS_PER_DOCUMENT) {
                    return best;
                }
            }
        }

        /** Sets the exact query's parameters from index {@code first}; returns the next one. */
        private int exactParameters(PreparedStatement ps, int first) throws SQLException {
            ps.setString(first, vector);
            ps.setString(first + 1, tenant);
            ps.setString(first + 2, anyRare);
            ps.setInt(first + 3, depth);
            return first + 4;
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

    /** A statement's chunks into {@code chunks}, best first (equal scores by document). */
    private static SearchTransaction.Rows rows(List<Chunk> chunks) {
        return rs -> {
            while (rs.next()) {
                chunks.add(
                        new Chunk(
                                rs.getBoolean(1), rs.getString(2), rs.getInt(3), -rs.getDouble(4)));
            }
            chunks.sort(BEST_FIRST); // an iterative scan's relaxed order may mix up neighbours
        };
    }
}
