package io.ragstream.embed.server;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link EmbeddingServer} behaves. Immutable; build with {@link #builder()}, or change one
 * field of a copy with a {@code with...} method. Everything but {@link #port()} can be changed
 * while the server runs ({@link EmbeddingServer#configure}, {@code POST /admin/config}, keys as in
 * {@link OptionsJson}).
 *
 * @param port port to listen on (127.0.0.1); 0 picks a free one (default 0)
 * @param model the model that computes the vectors (default {@link ModelKind#MINILM})
 * @param servedModelName the model name requests must carry; null: the model's own name (default
 *     null). E.g. serve {@code synthetic} vectors as {@code all-MiniLM-L6-v2}.
 * @param fixedLatency added to every embedding request, like a GPU's per-call cost (default 0)
 * @param perItemLatency added per text of the request (default 0); a request of {@code n} texts is
 *     answered no sooner than {@code fixedLatency + n * perItemLatency} after it came (the model's
 *     own time included); errors are answered at once
 * @param maxConcurrency embedding requests in progress at once (waiting out their latency
 *     included); one more is answered 503 at once, as Ollama does past {@code OLLAMA_NUM_PARALLEL}
 *     plus its queue. 0: no limit (default 0)
 * @param apiKey when set, embedding and admin requests must carry {@code Authorization: Bearer
 *     <apiKey>}, else 401 (default null)
 * @param failMode how the requests picked by {@code failEvery} fail (default none)
 * @param failEvery fail every n-th embedding request, counted from the last change of the options
 *     (default 1: every one)
 * @param poisonMarker when set, a request with a text containing it is answered 400: a permanent,
 *     per-input error (default null)
 * @param hangFor how long a {@link FailMode#TIMEOUT} request is held before its connection is
 *     closed without an answer (default 5 minutes)
 * @param maxRequestBytes the largest request body accepted, on every endpoint (admin included); a
 *     larger one is answered 413 without being read into memory (default 16 MiB)
 */
public record EmbeddingServerOptions(
        int port,
        ModelKind model,
        String servedModelName,
        Duration fixedLatency,
        Duration perItemLatency,
        int maxConcurrency,
        String apiKey,
        FailMode failMode,
        int failEvery,
        String poisonMarker,
        Duration hangFor,
        long maxRequestBytes) {

    public static final Duration DEFAULT_HANG_FOR = Duration.ofMinutes(5);
    public static final long DEFAULT_MAX_REQUEST_BYTES = 16L << 20;

    public EmbeddingServerOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        Objects.requireNonNull(model, "model");
        servedModelName = blankToNull(servedModelName);
        requireNonNegative(fixedLatency, "fixed-latency");
        requireNonNegative(perItemLatency, "per-item-latency");
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException(
                    "max-concurrency must be 0 (no limit) or more, got " + maxConcurrency);
        }
        apiKey = blankToNull(apiKey);
        Objects.requireNonNull(failMode, "failMode");
        if (failEvery < 1) {
            throw new IllegalArgumentException("fail-every must be at least 1, got " + failEvery);
        }
        poisonMarker = poisonMarker == null || poisonMarker.isEmpty() ? null : poisonMarker;
        requireNonNegative(hangFor, "hang-for");
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException(
                    "max-request-bytes must be at least 1, got " + maxRequestBytes);
        }
    }

    /** The real model on a free port, no latency, no limit, no failures. */
    public static EmbeddingServerOptions defaults() {
        return new EmbeddingServerOptions(
                0,
                ModelKind.MINILM,
                null,
                Duration.ZERO,
                Duration.ZERO,
                0,
                null,
                FailMode.NONE,
                1,
                null,
                DEFAULT_HANG_FOR,
                DEFAULT_MAX_REQUEST_BYTES);
    }

    /** The name requests must carry: {@link #servedModelName()} or the model's own. */
    public String modelName() {
        return servedModelName != null ? servedModelName : model.modelName();
    }

    /** How long a request of {@code texts} texts takes at least. */
    public Duration latency(int texts) {
        return fixedLatency.plus(perItemLatency.multipliedBy(texts));
    }

    public EmbeddingServerOptions withPort(int port) {
        return toBuilder().port(port).build();
    }

    public EmbeddingServerOptions withModel(ModelKind model) {
        return toBuilder().model(model).build();
    }

    public EmbeddingServerOptions withServedModelName(String servedModelName) {
        return toBuilder().servedModelName(servedModelName).build();
    }

    public EmbeddingServerOptions withFixedLatency(Duration fixedLatency) {
        return toBuilder().fixedLatency(fixedLatency).build();
    }

    public EmbeddingServerOptions withPerItemLatency(Duration perItemLatency) {
        return toBuilder().perItemLatency(perItemLatency).build();
    }

    /** Both latencies, e.g. {@code withLatency(ofMillis(20), ofMillis(1))} for a GPU's shape. */
    public EmbeddingServerOptions withLatency(Duration fixed, Duration perItem) {
        return withFixedLatency(fixed).withPerItemLatency(perItem);
    }

    public EmbeddingServerOptions withMaxConcurrency(int maxConcurrency) {
        return toBuilder().maxConcurrency(maxConcurrency).build();
    }

    public EmbeddingServerOptions withApiKey(String apiKey) {
        return toBuilder().apiKey(apiKey).build();
    }

    public EmbeddingServerOptions withMaxRequestBytes(long maxRequestBytes) {
        return toBuilder().maxRequestBytes(maxRequestBytes).build();
    }

    public EmbeddingServerOptions withFailMode(FailMode failMode) {
        return toBuilder().failMode(failMode).build();
    }

    public EmbeddingServerOptions withFailEvery(int failEvery) {
        return toBuilder().failEvery(failEvery).build();
    }

    /** Fail every {@code every}-th request with {@code mode}. */
    public EmbeddingServerOptions withFailures(FailMode mode, int every) {
        return withFailMode(mode).withFailEvery(every);
    }

    public EmbeddingServerOptions withPoisonMarker(String poisonMarker) {
        return toBuilder().poisonMarker(poisonMarker).build();
    }

    public EmbeddingServerOptions withHangFor(Duration hangFor) {
        return toBuilder().hangFor(hangFor).build();
    }

    @Override
    public String toString() {
        return "EmbeddingServerOptions{port="
                + port
                + ", model="
                + model
                + (servedModelName != null ? " as " + servedModelName : "")
                + ", latency="
                + fixedLatency.toMillis()
                + "ms+"
                + perItemLatency.toNanos() / 1e6
                + "ms/item, maxConcurrency="
                + maxConcurrency
                + (apiKey != null ? ", apiKey=***" : "")
                + ", failMode="
                + failMode
                + (failMode.failsRequests() ? " every " + failEvery : "")
                + (poisonMarker != null ? ", poisonMarker='" + poisonMarker + "'" : "")
                + ", maxRequestBytes="
                + maxRequestBytes
                + "}";
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static void requireNonNegative(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + duration);
        }
    }

    public static Builder builder() {
        return new Builder(defaults());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Options field by field; what is not set keeps the value it was built from. */
    public static final class Builder {
        private int port;
        private ModelKind model;
        private String servedModelName;
        private Duration fixedLatency;
        private Duration perItemLatency;
        private int maxConcurrency;
        private String apiKey;
        private FailMode failMode;
        private int failEvery;
        private String poisonMarker;
        private Duration hangFor;
        private long maxRequestBytes;

        private Builder(EmbeddingServerOptions from) {
            port = from.port;
            model = from.model;
            servedModelName = from.servedModelName;
            fixedLatency = from.fixedLatency;
            perItemLatency = from.perItemLatency;
            maxConcurrency = from.maxConcurrency;
            apiKey = from.apiKey;
            failMode = from.failMode;
            failEvery = from.failEvery;
            poisonMarker = from.poisonMarker;
            hangFor = from.hangFor;
            maxRequestBytes = from.maxRequestBytes;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder model(ModelKind model) {
            this.model = model;
            return this;
        }

        public Builder servedModelName(String servedModelName) {
            this.servedModelName = servedModelName;
            return this;
        }

        public Builder fixedLatency(Duration fixedLatency) {
            this.fixedLatency = fixedLatency;
            return this;
        }

        public Builder perItemLatency(Duration perItemLatency) {
            this.perItemLatency = perItemLatency;
            return this;
        }

        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder failMode(FailMode failMode) {
            this.failMode = failMode;
            return this;
        }

        public Builder failEvery(int failEvery) {
            this.failEvery = failEvery;
            return this;
        }

        public Builder poisonMarker(String poisonMarker) {
            this.poisonMarker = poisonMarker;
            return this;
        }

        public Builder hangFor(Duration hangFor) {
            this.hangFor = hangFor;
            return this;
        }

        public Builder maxRequestBytes(long maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        public EmbeddingServerOptions build() {
            return new EmbeddingServerOptions(
                    port,
                    model,
                    servedModelName,
                    fixedLatency,
                    perItemLatency,
                    maxConcurrency,
                    apiKey,
                    failMode,
                    failEvery,
                    poisonMarker,
                    hangFor,
                    maxRequestBytes);
        }
    }
}
