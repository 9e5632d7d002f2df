package io.ragstream.embed.server;

import io.ragstream.embed.OnnxMiniLmEmbedder;

import java.util.List;

/**
 * The models a server can switch between at run time: the synthetic one, always there, and the real
 * all-MiniLM-L6-v2, loaded on first use ({@link OnnxMiniLmEmbedder#shared()}: one model for all
 * servers of a JVM) and released by {@link #close()}. Thread-safe.
 */
final class ServedModels implements AutoCloseable {

    private final SyntheticEmbedder synthetic = new SyntheticEmbedder();
    private volatile OnnxMiniLmEmbedder minilm; // written under this
    private boolean closed; // guarded by this

    /**
     * Loads the model now, so that the first request does not wait for it; returns the nanoseconds.
     */
    long load(ModelKind kind) {
        long start = System.nanoTime();
        if (kind == ModelKind.MINILM) {
            minilm();
        }
        return System.nanoTime() - start;
    }

    List<float[]> embed(ModelKind kind, List<String> texts) {
        return kind == ModelKind.MINILM ? minilm().embed(texts) : synthetic.embed(texts);
    }

    /** Tokens the model reads for {@code text}, special tokens included, after truncation. */
    int countTokens(ModelKind kind, String text) {
        if (kind == ModelKind.SYNTHETIC) {
            return SyntheticEmbedder.countTokens(text);
        }
        OnnxMiniLmEmbedder model = minilm();
        return Math.min(model.countTokens(text) + 2, model.maxTokens());
    }

    /** Whether the model would have to cut {@code text} (the synthetic model never does). */
    boolean exceedsContext(ModelKind kind, String text) {
        if (kind == ModelKind.SYNTHETIC) {
            return false;
        }
        OnnxMiniLmEmbedder model = minilm();
        return model.countTokens(text) > model.maxTextTokens();
    }

    int dimension(ModelKind kind) {
        return kind == ModelKind.MINILM
                ? OnnxMiniLmEmbedder.DIMENSION
                : SyntheticEmbedder.DIMENSION;
    }

    private OnnxMiniLmEmbedder minilm() {
        OnnxMiniLmEmbedder model = minilm;
        if (model != null) {
            return model;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the server is closed");
            }
            if (minilm == null) {
                minilm = OnnxMiniLmEmbedder.shared();
            }
            return minilm;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (minilm != null) {
            minilm.close();
            minilm = null;
        }
    }
}
