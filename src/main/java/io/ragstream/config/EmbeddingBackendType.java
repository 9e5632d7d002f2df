package io.ragstream.config;

import java.util.Locale;

/** Which backend embeds the chunks ({@code embedding.backend}); written and read in lower case. */
public enum EmbeddingBackendType {
    /** all-MiniLM-L6-v2 in the TaskManager, through ONNX Runtime. */
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
