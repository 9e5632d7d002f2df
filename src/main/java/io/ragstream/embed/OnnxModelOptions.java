package io.ragstream.embed;

import java.util.Objects;

/**
 * How the in-process model ({@link OnnxMiniLmEmbedder}) is loaded and run. Equal options share one
 * loaded model in a JVM ({@link OnnxMiniLmEmbedder#shared(OnnxModelOptions)}).
 *
 * @param model which model: its name, pooling, query prefix and where it ships
 * @param modelResource classpath resource of the ONNX model (default: the model's)
 * @param tokenizerResource classpath resource of the HuggingFace {@code tokenizer.json} (default:
 *     the model's)
 * @param intraOpThreads ONNX Runtime intra-op threads (default: available processors)
 * @param maxBatchSize most texts in one ONNX Runtime call (default {@value
 *     OnnxMiniLmEmbedder#DEFAULT_MAX_BATCH_SIZE}; 1 for a model that needs {@link
 *     InProcessModel#oneTextPerRun()})
 * @param maxTokens tokens per text, special tokens included, longer texts are truncated (default:
 *     the model's {@link InProcessModel#maxTokens()}, at most {@value
 *     OnnxMiniLmEmbedder#MODEL_MAX_POSITIONS})
 */
public record OnnxModelOptions(
        InProcessModel model,
        String modelResource,
        String tokenizerResource,
        int intraOpThreads,
        int maxBatchSize,
        int maxTokens) {

    public OnnxModelOptions {
        Objects.requireNonNull(model, "model");
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
        if (model.oneTextPerRun() && maxBatchSize != 1) {
            throw new IllegalArgumentException(
                    "maxBatchSize must be 1 for "
                            + model.modelName()
                            + ", got "
                            + maxBatchSize
                            + ": its int8 activations are scaled per call, so a text's vector would"
                            + " depend on the texts batched with it");
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

    /** The name recorded with the vectors. */
    public String modelName() {
        return model.modelName();
    }

    /** The fp32 all-MiniLM-L6-v2, 256 tokens, one text per call, a thread per processor. */
    public static OnnxModelOptions defaults() {
        return builder().build();
    }

    /** Starts from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The options, each from its default until set; checked by {@link #build()}. */
    public static final class Builder {
        private InProcessModel model = InProcessModel.ALL_MINILM_L6_V2;
        private String modelResource = model.modelResource();
        private String tokenizerResource = model.tokenizerResource();
        private int intraOpThreads = Runtime.getRuntime().availableProcessors();
        private int maxBatchSize = OnnxMiniLmEmbedder.DEFAULT_MAX_BATCH_SIZE;
        private int maxTokens = model.maxTokens();

        private Builder() {}

        /** Another model: its files and its maximum length too. */
        public Builder model(InProcessModel model) {
            this.model = Objects.requireNonNull(model, "model");
            this.modelResource = model.modelResource();
            this.tokenizerResource = model.tokenizerResource();
            this.maxTokens = model.maxTokens();
            return this;
        }

        /** Another ONNX file for the model, e.g. a local export. */
        public Builder modelResource(String resource) {
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
                    model,
                    modelResource,
                    tokenizerResource,
                    intraOpThreads,
                    maxBatchSize,
                    maxTokens);
        }
    }
}
