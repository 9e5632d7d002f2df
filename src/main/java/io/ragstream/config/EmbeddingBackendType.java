package io.ragstream.config;

import java.util.Locale;

/** Which backend embeds the chunks ({@code embedding.backend}); written and read in lower case. */
public enum EmbeddingBackendType {
    /**
     * A model in the TaskManager (embedding.model: all-MiniLM-L6-v2, bge-small-en-v1.5, ...),
     * through ONNX Runtime.
     */
    ONNX,
    /** Ollama servers ({@code /api/embed}). */
    OLLAMA,
    /** OpenAI-compatible servers ({@code /v1/embeddings}). */
    OPENAI;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
