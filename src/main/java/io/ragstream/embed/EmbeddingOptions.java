package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import java.io.Serializable;
import java.time.Duration;

/** How chunks are embedded: which backend and model, batch size, linger and concurrency. */
public record EmbeddingOptions(
        String backend, String model, int batchSize, Duration linger, int maxInFlight, Duration timeout,
        int parallelism, int cacheMaxEntries, Duration cacheTtl) implements Serializable {

    public static EmbeddingOptions from(RagstreamConfig config) {
        String backend = config.choice(RagstreamOptions.EMBEDDING_BACKEND, "onnx", "ollama", "openai");
        String model = config.get(RagstreamOptions.EMBEDDING_MODEL);
        if (backend.equals("onnx") && !model.equals(OnnxMiniLmEmbedder.MODEL_NAME)) {
            throw new ConfigException(RagstreamOptions.EMBEDDING_MODEL.key(), "the onnx backend ships only "
                    + OnnxMiniLmEmbedder.MODEL_NAME + ", not '" + model + "'");
        }
        if (!backend.equals("onnx")) {
            throw new ConfigException(RagstreamOptions.EMBEDDING_BACKEND.key(),
                    "'" + backend + "' is not built yet; use onnx");
        }
        return new EmbeddingOptions(backend, model,
                config.positive(RagstreamOptions.EMBEDDING_BATCH_SIZE),
                config.get(RagstreamOptions.EMBEDDING_LINGER),
                config.positive(RagstreamOptions.EMBEDDING_MAX_IN_FLIGHT),
                config.get(RagstreamOptions.EMBEDDING_TIMEOUT),
                config.positive(RagstreamOptions.EMBEDDING_PARALLELISM),
                config.get(RagstreamOptions.EMBEDDING_CACHE_MAX_ENTRIES),
                config.get(RagstreamOptions.EMBEDDING_CACHE_TTL));
    }

    /** The backend these options name; the in-process model is shared by all users in a JVM. */
    public Embedder open() {
        return OnnxMiniLmEmbedder.shared();
    }

    public int dimension() {
        return OnnxMiniLmEmbedder.DIMENSION;
    }
}
