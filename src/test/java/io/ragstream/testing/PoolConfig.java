package io.ragstream.testing;

import io.ragstream.embed.server.EmbeddingServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The settings, or a configuration file, that point a job's embedding pool at its servers. */
public final class PoolConfig {
    private PoolConfig() {}

    /**
     * The settings of a pool of Ollama servers of all-minilm (384 dimensions) at these {@code
     * embedding.endpoints}, as {@code --set} would give them.
     */
    public static Map<String, String> ollama(String endpoints) {
        return Map.of(
                "embedding.backend",
                "ollama",
                "embedding.model",
                "all-minilm",
                "embedding.dimension",
                "384",
                "embedding.endpoints",
                endpoints);
    }

    /** {@code dir/pool.yaml}: the server as the pool's one Ollama endpoint, 4 requests at once. */
    public static Path write(Path dir, EmbeddingServer embeddings) throws IOException {
        return Files.writeString(
                dir.resolve("pool.yaml"),
                "embedding:\n  backend: ollama\n  model: "
                        + embeddings.options().modelName()
                        + "\n  endpoints:\n    - {url: \""
                        + embeddings.url()
                        + "\", max-concurrency: 4}\n");
    }
}
