package io.ragstream.search;

import io.ragstream.config.SearchMode;

import java.util.ArrayList;
import java.util.List;

/**
 * A search's answer as JSON shows it ({@code search --json} and {@code serve-search}): the request,
 * how the scores were made, and the hits in rank order.
 */
public record SearchAnswer(
        String tenant, List<String> queries, int k, String mode, String scoring, List<Hit> hits) {

    public record Hit(int rank, String docId, int chunkNo, double score, String content) {}

    public static SearchAnswer of(
            String tenant, List<String> queries, int k, SearchMode mode, List<SearchHit> hits) {
        List<Hit> ranked = new ArrayList<>();
        for (SearchHit h : hits) {
            ranked.add(new Hit(ranked.size() + 1, h.docId(), h.chunkNo(), h.score(), h.content()));
        }
        return new SearchAnswer(
                tenant, queries, k, mode.toString(), scoring(mode, queries.size()), ranked);
    }

    /**
     * What a hit's score is, for one query: in vector mode the cosine similarity of the best chunk,
     * in text mode the BM25 score of the best chunk, in hybrid mode the two scaled to [0, 1] within
     * their rankings and averaged; for several queries, the fused reciprocal-rank score.
     */
    static String scoring(SearchMode mode, int queries) {
        if (queries > 1) {
            return "rrf";
        }
        return switch (mode) {
            case VECTOR -> "cosine";
            case TEXT -> "bm25";
            case HYBRID -> "relative-score";
        };
    }
}
