package io.ragstream.embed;

import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * A pool seen as a blocking {@link Embedder}: for search queries, which wait for their vector
 * anyway.
 */
final class PoolEmbedder implements Embedder {
    private final EmbeddingPool pool;
    private final String model;
    private final int dimension;

    PoolEmbedder(EmbeddingPool pool, String model, int dimension) {
        this.pool = pool;
        this.model = model;
        this.dimension = dimension;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public List<float[]> embed(List<String> texts) throws Exception {
        try {
            return texts.isEmpty() ? List.of() : pool.embed(texts).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
