package io.ragstream.embed;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One embedding endpoint of the pool (an Ollama instance, an OpenAI-compatible server, or the
 * in-process model on threads of its own): one call is one request that embeds a batch. Calls must
 * not block the caller.
 *
 * <p>The future completes with one vector per text, in order, as {@link Embedder}'s contract says
 * ({@link #dimension()} finite values, unit norm); or exceptionally with an {@link
 * EmbeddingFailure} saying whether retrying can help (timeouts, refused connections, 429, 5xx), or
 * the input is to blame (a 4xx for it, NaN, a vector of zeros), or the endpoint is set up wrong
 * (401, 403, 404, 405, every vector of another dimension).
 */
public interface EmbeddingBackend extends AutoCloseable {

    /**
     * Where it is, for logs, metrics and messages, e.g. http://gpu-1:11434: no credentials, no
     * query string.
     */
    String endpoint();

    String model();

    int dimension();

    CompletableFuture<List<float[]>> embed(List<String> texts);

    @Override
    void close();
}
