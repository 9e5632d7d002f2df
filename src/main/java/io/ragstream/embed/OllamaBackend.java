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
 * <p>Vectors are returned as the server gives them, not normalised here (Ollama's {@code
 * /api/embed} L2-normalises them itself, and cosine distance, which the index uses, does not need
 * unit norm anyway). They are checked: as many as inputs, each of {@link #dimension()} finite
 * values (vectors that all have another length mean the endpoint serves another model:
 * MISCONFIGURED, not the input's fault). A sloppy server's {@code NaN} literal is parsed and
 * rejected as NaN (PERMANENT), and so are Ollama's own answers to a NaN vector: a 400 {@code "embedding contains NaN or Inf values"}
 * (recent versions) or a 500 {@code "json: unsupported value: NaN"} (older ones). One bad text
 * fails its whole batch: Ollama answers all or nothing. The
 * other failures are classified as {@link HttpBackends} describes; Ollama's errors come as {@code
 * {"error": ".."}} and their text is in the exception message.
 *
 * <p>Thread safety: any number of threads may call {@link #embed} at once; each call is one
 * request, and Ollama runs at most {@code OLLAMA_NUM_PARALLEL} of them at a time (the pool's
 * {@code max-concurrency} for this endpoint), queueing the rest.
 */
public final class OllamaBackend implements EmbeddingBackend {

    public static final String DEFAULT_KEEP_ALIVE = "30m";

    private final HttpBackends.Settings settings;
    private final URI embedUri;
    private final boolean truncate;
    private final String keepAlive;
    private final String who;
    private final HttpBackends.Transport transport;

    private OllamaBackend(Builder b) {
        this.settings = b.settings();
        this.embedUri = embedUri(settings.base());
        this.truncate = b.truncate;
        if (b.keepAlive == null || b.keepAlive.isBlank()) {
            throw new IllegalArgumentException("keepAlive must be a duration such as 30m, not '" + b.keepAlive + "'");
        }
        this.keepAlive = b.keepAlive.strip();
        this.who = "Ollama at " + settings.endpoint() + " (model " + settings.model() + ")";
        this.transport = new HttpBackends.Transport(settings.base(), settings.connectTimeout(), settings.requestTimeout());
    }

    /** {@code url}: Ollama's base URL, e.g. {@code http://gpu-1:11434} (an {@code /api} or {@code /api/embed} suffix is accepted). */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    static URI embedUri(URI base) {
        String path = base.getRawPath();
        if (path.endsWith("/api/embed")) {
            return base;
        }
        return HttpBackends.withPath(base, path.endsWith("/api") ? path + "/embed" : path + "/api/embed");
    }

    @Override
    public String endpoint() {
        return settings.endpoint();
    }

    @Override
    public String model() {
        return settings.model();
    }

    @Override
    public int dimension() {
        return settings.dimension();
    }

    public String keepAlive() {
        return keepAlive;
    }

    public boolean truncate() {
        return truncate;
    }

    @Override
    public CompletableFuture<List<float[]>> embed(List<String> texts) {
        List<String> batch = List.copyOf(texts);
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        ObjectNode body = HttpBackends.JSON.createObjectNode();
        body.put("model", settings.model());
        ArrayNode input = body.putArray("input");
        batch.forEach(input::add);
        body.put("truncate", truncate);
        body.put("keep_alive", keepAlive);
        return HttpBackends.unwrapped(transport.postJson(embedUri, HttpBackends.write(body), Map.of(), who)
                .thenApply(response -> vectors(response, batch.size())));
    }

    private List<float[]> vectors(HttpResponse<byte[]> response, int expected) {
        if (!HttpBackends.isSuccess(response)) {
            throw HttpBackends.statusFailure(response, who);
        }
        JsonNode json = HttpBackends.successBody(response, who);
        JsonNode embeddings = json.get("embeddings");
        if (embeddings == null || !embeddings.isArray()) {
            String error = json.isObject() ? HttpBackends.serverMessage(json) : null;
            throw HttpBackends.badAnswer(response, who, "the answer has no \"embeddings\" array"
                    + (error != null ? ": " + error : " (is this an Ollama /api/embed endpoint?)"));
        }
        if (embeddings.size() != expected) {
            throw HttpBackends.badAnswer(response, who, "asked for " + expected + " vectors, got " + embeddings.size());
        }
        int[] lengths = new int[expected];
        for (int i = 0; i < expected; i++) {
            JsonNode vector = embeddings.get(i);
            lengths[i] = vector != null && vector.isArray() ? vector.size() : settings.dimension(); // else: vector() says why
        }
        HttpBackends.checkDimensions(lengths, settings.dimension(), response, who);
        List<float[]> vectors = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            vectors.add(HttpBackends.vector(embeddings.get(i), settings.dimension(), i, response, who));
        }
        return vectors;
    }

    /** Requests in flight, for tests and metrics. */
    int inFlight() {
        return transport.inFlight();
    }

    /** Fails the requests in flight (TRANSIENT) and refuses new ones; idempotent. */
    @Override
    public void close() {
        transport.close();
    }

    @Override
    public String toString() {
        return "OllamaBackend{endpoint=" + endpoint() + ", model=" + model() + ", dimension=" + dimension()
                + ", keepAlive=" + keepAlive + ", truncate=" + truncate + "}";
    }

    public static final class Builder extends HttpBackends.Builder<Builder> {
        private boolean truncate = true;
        private String keepAlive = DEFAULT_KEEP_ALIVE;

        private Builder(String url) {
            super(url);
        }

        @Override
        Builder self() {
            return this;
        }

        /** Whether Ollama cuts texts longer than the model's context (default true) or rejects them. */
        public Builder truncate(boolean truncate) {
            this.truncate = truncate;
            return this;
        }

        /** How long Ollama keeps the model loaded after a request, a Go duration (default {@value OllamaBackend#DEFAULT_KEEP_ALIVE}). */
        public Builder keepAlive(String keepAlive) {
            this.keepAlive = keepAlive;
            return this;
        }

        public OllamaBackend build() {
            return new OllamaBackend(this);
        }
    }
}
