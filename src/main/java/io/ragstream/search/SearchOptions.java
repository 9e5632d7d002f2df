package io.ragstream.search;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import java.time.Duration;

/**
 * How a search reads the HNSW index: its candidate list ({@code hnsw.ef_search}) and, for int8 and
 * binary, how many candidates per wanted chunk are re-ranked; and how long its statements may run.
 */
public record SearchOptions(int efSearch, int rerankFactor, Duration timeout) {
    /** pgvector's upper bound of {@code hnsw.ef_search}. */
    static final int MAX_EF_SEARCH = 1000;

    /**
     * How much longer than {@link #timeout} a connection may stay silent before it is taken as dead
     * (pgjdbc's {@code socketTimeout}): enough for the server's own cancellation to arrive first,
     * with its clearer reason. pgjdbc 42.7.8 gives up on a silent connection after twice its
     * socketTimeout (measured through a black-holed proxy), so a search on a dead route fails after
     * about 2 × (timeout + grace).
     */
    static final Duration SILENCE_GRACE = Duration.ofSeconds(2);

    public static SearchOptions from(RagstreamConfig config) {
        // PostgreSQL reads a statement_timeout of 0 as none at all: there is no setting for that
        Duration timeout = config.atLeast(RagstreamOptions.SEARCH_TIMEOUT, Duration.ofMillis(100));
        return new SearchOptions(
                config.between(RagstreamOptions.SEARCH_EF_SEARCH, 1, MAX_EF_SEARCH),
                config.between(RagstreamOptions.SEARCH_RERANK_FACTOR, 1, 100),
                timeout);
    }

    public static SearchOptions defaults() {
        return new SearchOptions(
                RagstreamOptions.SEARCH_EF_SEARCH.defaultValue(),
                RagstreamOptions.SEARCH_RERANK_FACTOR.defaultValue(),
                RagstreamOptions.SEARCH_TIMEOUT.defaultValue());
    }

    /**
     * {@code hnsw.ef_search} for a search that reads {@code rows} rows: never fewer than it reads.
     */
    int efSearchFor(int rows) {
        return Math.min(MAX_EF_SEARCH, Math.max(efSearch, rows));
    }

    /** The search transaction's {@code statement_timeout}, {@code LOCAL} to it. */
    String statementTimeout() {
        return "SET LOCAL statement_timeout = " + timeout.toMillis();
    }

    /** pgjdbc's {@code socketTimeout} for search connections, in whole seconds. */
    long socketTimeoutSeconds() {
        return (timeout.plus(SILENCE_GRACE).toMillis() + 999) / 1000;
    }
}
