package io.ragstream.embed;

import java.util.Objects;

/**
 * How the in-process model ({@link OnnxMiniLmEmbedder}) is loaded and run. Equal options share one
 * loaded model in a JVM ({@link OnnxMiniLmEmbedder#shared(OnnxModelOptions)}).
 *
 * @param modelName name recorded with the vectors; change it with the model file
 * @param modelResource classpath resource of the ONNX model
 * @param tokenizerResource classpath resource of the HuggingFace {@code tokenizer.json}
 * @param intraOpThreads ONNX Runtime intra-op threads (default: available processors)
 * @param maxBatchSize most texts in one ONNX Runtime call (default {@value
 *     OnnxMiniLmEmbedder#DEFAULT_MAX_BATCH_SIZE})
 * @param maxTokens tokens per text, special tokens included, longer texts are truncated (default
 *     {@value OnnxMiniLmEmbedder#DEFAULT_MAX_TOKENS}, at most {@value
 *     OnnxMiniLmEmbedder#MODEL_MAX_POSITIONS})
 */
public record OnnxModelOptions(
        String modelName,
        String modelResource,
        String tokenizerResource,
        int intraOpThreads,
        int maxBatchSize,
        int maxTokens) {

    public OnnxModelOptions {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(modelResource, "modelResource");
        Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException(
                    "intraOpThreads must be at least 1, got " + intraOpThreads);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException(
                    "maxBatchSize must be at least 1, got " + maxBatchSize);
        }
        if (maxTokens <= OnnxMiniLmEmbedder.SPECIAL_TOKENS
                || maxTokens > OnnxMiniLmEmbedder.MODEL_MAX_POSITIONS) {
            throw new IllegalArgumentException(
                    "maxTokens must be between "
                            + (OnnxMiniLmEmbedder.SPECIAL_TOKENS + 1)
                            + " and "
                            + OnnxMiniLmEmbedder.MODEL_MAX_POSITIONS
                            + ", got "
                            + maxTokens);
        }
    }

    /** The fp32 model, 256 tokens, batches of 16, one intra-op thread per processor. */
    public static OnnxModelOptions defaults() {
        return builder().build();
    }

    /** Starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The options, each from its default until set; checked by {@link #build()}. */
    public static final class Builder {
        private String modelName = OnnxMiniLmEmbedder.MODEL_NAME;
        private String modelResource = OnnxMiniLmEmbedder.MODEL_RESOURCE;
        private String tokenizerResource = OnnxMiniLmEmbedder.TOKENIZER_RESOURCE;
        private int intraOpThreads = Runtime.getRuntime().availableProcessors();
        private int maxBatchSize = OnnxMiniLmEmbedder.DEFAULT_MAX_BATCH_SIZE;
        private int maxTokens = OnnxMiniLmEmbedder.DEFAULT_MAX_TOKENS;

        private Builder() {}

        /** Another model file, and the name recorded with its vectors. */
        public Builder model(String name, String resource) {
            this.modelName = name;
            this.modelResource = resource;
            return this;
        }

        public Builder tokenizerResource(String resource) {
            this.tokenizerResource = resource;
            return this;
        }

        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        public Builder maxBatchSize(int size) {
            this.maxBatchSize = size;
            return this;
        }

        public Builder maxTokens(int tokens) {
            this.maxTokens = tokens;
            return this;
        }

        public OnnxModelOptions build() {
            return new OnnxModelOptions(
                    modelName,
                    modelResource,
                    tokenizerResource,
                    intraOpThreads,
                    maxBatchSize,
                    maxTokens);
        }
    }
}
