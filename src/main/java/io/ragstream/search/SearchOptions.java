package io.ragstream.search;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

/**
 * How a search reads the HNSW index: its candidate list ({@code hnsw.ef_search}) and, for int8 and
 * binary, how many candidates per wanted chunk are re-ranked.
 */
public record SearchOptions(int efSearch, int rerankFactor) {
    /** pgvector's upper bound of {@code hnsw.ef_search}. */
    static final int MAX_EF_SEARCH = 1000;

    public static SearchOptions from(RagstreamConfig config) {
        return new SearchOptions(
                config.between(RagstreamOptions.SEARCH_EF_SEARCH, 1, MAX_EF_SEARCH),
                config.between(RagstreamOptions.SEARCH_RERANK_FACTOR, 1, 100));
    }

    public static SearchOptions defaults() {
        return new SearchOptions(
                RagstreamOptions.SEARCH_EF_SEARCH.defaultValue(),
                RagstreamOptions.SEARCH_RERANK_FACTOR.defaultValue());
    }

    /**
     * {@code hnsw.ef_search} for a search that reads {@code rows} rows: never fewer than it reads.
     */
    int efSearchFor(int rows) {
        return Math.min(MAX_EF_SEARCH, Math.max(efSearch, rows));
    }
}
