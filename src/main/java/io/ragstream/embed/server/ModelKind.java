package io.ragstream.embed.server;

import io.ragstream.embed.OnnxMiniLmEmbedder;

import java.util.Locale;

/** Which model computes an {@link EmbeddingServer}'s vectors. */
public enum ModelKind {
    /** The real all-MiniLM-L6-v2 in process ({@link OnnxMiniLmEmbedder#shared()}): true vectors. */
    MINILM(OnnxMiniLmEmbedder.MODEL_NAME),
    /**
     * {@link SyntheticEmbedder}: a deterministic unit vector per text, microseconds each, so that a
     * benchmark measures the pool and the job rather than the CPU running a model.
     */
    SYNTHETIC(SyntheticEmbedder.MODEL_NAME);

    private final String modelName;

    ModelKind(String modelName) {
        this.modelName = modelName;
    }

    /** The model name clients send (unless a served name replaces it). */
    public String modelName() {
        return modelName;
    }

    /** {@code all-MiniLM-L6-v2} (any case) or {@code synthetic}. */
    public static ModelKind parse(String value) {
        String v = value.trim();
        for (ModelKind kind : values()) {
            if (kind.modelName.equalsIgnoreCase(v)
                    || kind.name().toLowerCase(Locale.ROOT).equals(v.toLowerCase(Locale.ROOT))) {
                return kind;
            }
        }
        throw new IllegalArgumentException(
                "unknown model '"
                        + value
                        + "', expected "
                        + MINILM.modelName
                        + " or "
                        + SYNTHETIC.modelName);
    }

    @Override
    public String toString() {
        return modelName;
    }
}
