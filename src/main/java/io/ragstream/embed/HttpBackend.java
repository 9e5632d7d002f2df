package io.ragstream.embed;

import io.ragstream.config.Secrets;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP embedding backends ({@link OllamaBackend}, {@link OpenAiBackend}) share: their
 * settings and builder, their {@link HttpTransport}, the {@link EmbeddingBackend} accessors,
 * closing, and reading the array of vectors out of an answer. A subclass says how one batch is
 * asked for and how each vector is read ({@link #embedBatch}); failures are classified by {@link
 * HttpFailures}, vectors checked by {@link VectorChecks}.
 *
 * <p>Thread safety: any number of threads may call {@link #embed} at once; each call is one request
 * (or two, see {@link OpenAiBackend}), and the caller never waits for it.
 */
abstract class HttpBackend implements EmbeddingBackend {

    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The settings every HTTP backend has; {@code base} is the endpoint without a trailing slash.
     */
    record Settings(
            URI base,
            String model,
            int dimension,
            Duration requestTimeout,
            Duration connectTimeout) {
        Settings {
            Objects.requireNonNull(base, "endpoint");
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model is required");
            }
            if (dimension <= 0) {
                throw new IllegalArgumentException(
                        "dimension must be positive (the model's vector length), not " + dimension);
            }
            requirePositive(requestTimeout, "requestTimeout");
            requirePositive(connectTimeout, "connectTimeout");
        }

        /** For logs, messages and metrics: without the query string, which may hold a key. */
        String endpoint() {
            return EndpointUrls.redacted(base);
        }

        /**
         * The backend as messages name it, e.g. {@code Ollama at http://gpu-1:11434 (model
         * all-minilm)}.
         */
        String who(String kind) {
            return kind + " " + endpoint() + " (model " + model + ")";
        }

        private static void requirePositive(Duration d, String what) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive, not " + d);
            }
        }
    }

    /** What every HTTP backend's builder takes; each adds its own settings. */
    abstract static class Builder<B extends Builder<B>> {
        private final String url;
        private String model;
        private int dimension;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;

        Builder(String url) {
            this.url = Objects.requireNonNull(url, "url");
        }

        abstract B self();

        /** The model name the server knows (required). */
        public B model(String model) {
            this.model = model;
            return self();
        }

        /** The model's vector length; every answer is checked against it (required). */
        public B dimension(int dimension) {
            this.dimension = dimension;
            return self();
        }

        /** From sending the request to the end of the answer (default 60 s); past it: TRANSIENT. */
        public B requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return self();
        }

        /** To open a connection (default 10 s); past it: TRANSIENT. */
        public B connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return self();
        }

        Settings settings() {
            return new Settings(
                    EndpointUrls.base(url), model, dimension, requestTimeout, connectTimeout);
        }

        /** For toString: the url and model, never a key. */
        String describe() {
            return "url=" + Secrets.redactUrl(url) + ", model=" + model;
        }
    }

    final Settings settings;

    /** The backend as messages name it: kind, endpoint (redacted) and model. */
    final String who;

    private final HttpTransport transport;

    /**
     * Opens the client: a subclass checks its own settings before it calls this ({@code settings}
     * are checked already).
     */
    HttpBackend(Settings settings, String kind) {
        this.settings = settings;
        this.who = settings.who(kind);
        this.transport =
                new HttpTransport(
                        settings.base(), settings.connectTimeout(), settings.requestTimeout());
    }

    @Override
    public final String endpoint() {
        return settings.endpoint();
    }

    @Override
    public final String model() {
        return settings.model();
    }

    @Override
    public final int dimension() {
        return settings.dimension();
    }

    /**
     * One request for the whole batch (an empty one sends nothing). The future fails with the
     * {@link EmbeddingFailure} itself, not wrapped in a {@link
     * java.util.concurrent.CompletionException}.
     */
    @Override
    public final CompletableFuture<List<float[]>> embed(List<String> texts) {
        List<String> batch = List.copyOf(texts);
        if (batch.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        return HttpTransport.unwrapped(embedBatch(batch));
    }

    /**
     * Asks the server for the vectors of {@code batch} (not empty) and reads them from its answer.
     */
    abstract CompletableFuture<List<float[]>> embedBatch(List<String> batch);

    /**
     * POSTs {@code body} to {@code uri}; fails only when no answer comes (see {@link
     * HttpTransport#postJson}).
     */
    final CompletableFuture<HttpResponse<byte[]>> post(
            URI uri, JsonNode body, Map<String, String> headers) {
        return transport.postJson(uri, body, headers, who);
    }

    /**
     * The failure for a non-2xx answer ({@link HttpFailures#statusFailure}); a subclass may add
     * what it knows.
     */
    EmbeddingFailure statusFailure(HttpResponse<byte[]> response) {
        return HttpFailures.statusFailure(response, who);
    }

    /**
     * The array {@code field} of a 2xx answer, holding one item per text asked for; else the
     * failure: the status's, not JSON (TRANSIENT), or no such array or another count of items
     * (PERMANENT, with the server's message when the answer has one, else {@code hint}).
     */
    final JsonNode answerArray(
            HttpResponse<byte[]> response, String field, int expected, String hint) {
        if (!HttpFailures.isSuccess(response)) {
            throw statusFailure(response);
        }
        JsonNode json = HttpFailures.successBody(response, who);
        JsonNode array = json.get(field);
        if (array == null || !array.isArray()) {
            String error = json.isObject() ? HttpFailures.serverMessage(json) : null;
            throw HttpFailures.badAnswer(
                    response,
                    who,
                    "the answer has no \""
                            + field
                            + "\" array"
                            + (error != null ? ": " + error : " (" + hint + ")"));
        }
        if (array.size() != expected) {
            throw HttpFailures.badAnswer(
                    response, who, "asked for " + expected + " vectors, got " + array.size());
        }
        return array;
    }

    /** Requests in flight, for tests and metrics. */
    final int inFlight() {
        return transport.inFlight();
    }

    /** Fails the requests in flight (TRANSIENT) and refuses new ones; idempotent. */
    @Override
    public final void close() {
        transport.close();
    }

    /** For a subclass's toString: endpoint, model and dimension. */
    final String describe() {
        return "endpoint=" + endpoint() + ", model=" + model() + ", dimension=" + dimension();
    }
}
