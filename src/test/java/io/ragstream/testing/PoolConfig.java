package io.ragstream.testing;

import io.ragstream.embed.server.EmbeddingServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A configuration file that points a job's embedding pool at a stand-in server. */
public final class PoolConfig {
    private PoolConfig() {}

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
