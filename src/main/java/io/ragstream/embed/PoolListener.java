package io.ragstream.embed;

/**
 * What an {@link EmbeddingPool} reports as it works: the embedding operator turns it into metrics.
 */
public interface PoolListener {
    PoolListener NONE = new PoolListener() {};

    default void onRequest(String endpoint, int texts) {}

    default void onSuccess(String endpoint, long latencyMillis) {}

    default void onFailure(String endpoint, EmbeddingFailure failure) {}

    default void onRetry(int attempt) {}
}
