package io.ragstream.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An Ollama instance: one {@link #embed} call is one {@code POST {endpoint}/api/embed} with the
 * whole batch as its {@code input} array:
 *
 * <pre>{@code
 * {"model": "nomic-embed-text", "input": ["text 1", "text 2"], "truncate": true, "keep_alive": "30m"}
 * }</pre>
 *
 * answered with {@code {"model": .., "embeddings": [[..], [..]], ..}}, one vector per input in
 * input order.
 *
 * <p>{@code truncate} (default true) lets Ollama cut a text longer than the model's context rather
 * than reject it (with false, such a text fails the batch with a 400, PERMANENT). {@code
 * keep_alive} (default {@value #DEFAULT_KEEP_ALIVE}) is how long Ollama keeps the model loaded
 * after the request, as a Go duration ({@code "30m"}, {@code "1h"}, {@code "-1m"} for ever): longer
 * than Ollama's 5 minutes so that a pause in the stream does not unload the model.
 *
 * <p>Vectors are checked and of unit norm as {@link VectorChecks} describes (Ollama's {@code
 * /api/embed} L2-normalises them itself, so they pass as it gives them): as many as inputs, each of
 * {@link #dimension()} finite values (vectors that all have another length mean the endpoint serves
 * another model: MISCONFIGURED, not the input's fault). A sloppy server's {@code NaN} literal is
 * parsed and rejected as NaN (PERMANENT), and so are Ollama's own answers to a NaN vector: a 400
 * {@code "embedding contains NaN or Inf values"} (recent versions) or a 500 {@code "json:
 * unsupported value: NaN"} (older ones). One bad text fails its whole batch: Ollama answers all or
 * nothing. The other failures are classified as {@link HttpFailures} describes; Ollama's errors
 * come as {@code {"error": ".."}} and their text is in the exception message.
 *
 * <p>Thread safety: any number of threads may call {@link #embed} at once; each call is one
 * request, and Ollama runs at most {@code OLLAMA_NUM_PARALLEL} of them at a time (the pool's {@code
 * max-concurrency} for this endpoint), queueing the rest.
 */
public final class OllamaBackend extends HttpBackend {

    public static final String DEFAULT_KEEP_ALIVE = "30m";

    private final URI embedUri;
    private final boolean truncate;
    private final String keepAlive;

    private OllamaBackend(Settings settings, boolean truncate, String keepAlive) {
        super(settings, "Ollama at");
        this.embedUri = embedUri(settings.base());
        this.truncate = truncate;
        this.keepAlive = keepAlive;
    }

    /**
     * {@code url}: Ollama's base URL, e.g. {@code http://gpu-1:11434} (an {@code /api} or {@code
     * /api/embed} suffix is accepted).
     */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    static URI embedUri(URI base) {
        String path = base.getRawPath();
        if (path.endsWith("/api/embed")) {
            return base;
        }
        return EndpointUrls.withPath(
                base, path.endsWith("/api") ? path + "/embed" : path + "/api/embed");
    }

    public String keepAlive() {
        return keepAlive;
    }

    public boolean truncate() {
        return truncate;
    }

    @Override
    CompletableFuture<List<float[]>> embedBatch(List<String> batch) {
        ObjectNode body = HttpTransport.JSON.createObjectNode();
        body.put("model", settings.model());
        ArrayNode input = body.putArray("input");
        batch.forEach(input::add);
        body.put("truncate", truncate);
        body.put("keep_alive", keepAlive);
        return post(embedUri, body, Map.of())
                .thenApply(response -> vectors(response, batch.size()));
    }

    private List<float[]> vectors(HttpResponse<byte[]> response, int expected) {
        JsonNode embeddings =
                answerArray(
                        response, "embeddings", expected, "is this an Ollama /api/embed endpoint?");
        int[] lengths = new int[expected];
        for (int i = 0; i < expected; i++) {
            JsonNode vector = embeddings.get(i);
            lengths[i] =
                    vector != null && vector.isArray()
                            ? vector.size()
                            : settings.dimension(); // else: vector() says why
        }
        VectorChecks checks = VectorChecks.of(response, settings.dimension(), who);
        checks.dimensions(lengths);
        List<float[]> vectors = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            vectors.add(checks.vector(embeddings.get(i), i));
        }
        return vectors;
    }

    @Override
    public String toString() {
        return "OllamaBackend{"
                + describe()
                + ", keepAlive="
                + keepAlive
                + ", truncate="
                + truncate
                + "}";
    }

    public static final class Builder extends HttpBackend.Builder<Builder> {
        private boolean truncate = true;
        private String keepAlive = DEFAULT_KEEP_ALIVE;

        private Builder(String url) {
            super(url);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Whether Ollama cuts texts longer than the model's context (default true) or rejects them.
         */
        public Builder truncate(boolean truncate) {
            this.truncate = truncate;
            return this;
        }

        /**
         * How long Ollama keeps the model loaded after a request, a Go duration (default {@value
         * OllamaBackend#DEFAULT_KEEP_ALIVE}).
         */
        public Builder keepAlive(String keepAlive) {
            this.keepAlive = keepAlive;
            return this;
        }

        public OllamaBackend build() {
            Settings settings = settings();
            if (keepAlive == null || keepAlive.isBlank()) {
                throw new IllegalArgumentException(
                        "keepAlive must be a duration such as 30m, not '" + keepAlive + "'");
            }
            return new OllamaBackend(settings, truncate, keepAlive.strip());
        }
    }
}
