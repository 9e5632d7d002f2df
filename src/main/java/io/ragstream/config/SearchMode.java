package io.ragstream.config;

import java.util.Locale;

/**
 * How a search ranks a tenant's documents ({@code search.mode}, {@code search --mode}). Written and
 * read as {@code vector} / {@code text} / {@code hybrid}: Flink's enum options match {@link
 * #toString()}.
 */
public enum SearchMode {
    /** Nearest chunks by the embedding (the HNSW index of the configured quantization). */
    VECTOR,
    /**
     * Full-text: the chunks' words (PostgreSQL's tsvector, GIN index) ranked against the query's.
     */
    TEXT,
    /** Both rankings, each one's scores scaled to [0, 1] and summed. */
    HYBRID;

    /** Whether the queries are embedded. */
    public boolean usesVectors() {
        return this != TEXT;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
