package io.ragstream.embed;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ragstream.config.Secrets;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.IntSummaryStatistics;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * What the HTTP embedding backends ({@link OllamaBackend}, {@link OpenAiBackend}) share: their
 * settings, the asynchronous transport, how an HTTP answer becomes an {@link EmbeddingFailure},
 * and the checks every vector goes through.
 *
 * <p>Failure classification, the same for both backends:
 * <ul>
 *   <li>No answer (refused or reset connection, connect or request timeout, any other
 *       {@link IOException}): TRANSIENT, status 0.
 *   <li>408, 429, 5xx: TRANSIENT with the status; the server's message and any
 *       {@code Retry-After} are in the exception message. Exception: a 5xx saying the server could
 *       not serialise a non-finite number (Ollama's {@code "json: unsupported value: NaN"},
 *       Python's {@code "Out of range float values are not JSON compliant"}) is PERMANENT, since the
 *       model gives that input NaN every time and retrying would stall the job for ever.
 *   <li>401, 403 (a key refused), 404 (a path or model the server lacks), 405 (a path that is
 *       not the embeddings API): MISCONFIGURED with the status; no input is to blame.
 *   <li>Any other non-2xx (400, 413, 422 naming an input, an unfollowed 3xx): PERMANENT with the
 *       status and the server's error message.
 *   <li>A 2xx whose body is not JSON at all (empty, or a proxy's HTML page): TRANSIENT with the
 *       status; the answer did not come from the embedding server.
 *   <li>A 2xx whose every vector has another dimension than configured: MISCONFIGURED (the
 *       endpoint serves another model, or the configured dimension is wrong).
 *   <li>A 2xx JSON that lacks the expected field or has the wrong shape, the wrong number of
 *       vectors, some (not all) vectors of the wrong dimension or a non-finite value: PERMANENT
 *       with the status; the server answered, and asking again gets the same answer.
 * </ul>
 */
final class HttpBackends {

    /** Parses NaN and Infinity literals (sloppy servers write them) so they fail as NaN, not as bad JSON. */
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** How much of a server's error text goes into an exception message. */
    private static final int MAX_DETAIL = 500;

    private HttpBackends() {}

    /** The settings both backends have; {@code base} is the endpoint without a trailing slash. */
    record Settings(URI base, String model, int dimension, Duration requestTimeout, Duration connectTimeout) {
        Settings {
            Objects.requireNonNull(base, "endpoint");
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model is required");
            }
            if (dimension <= 0) {
                throw new IllegalArgumentException("dimension must be positive (the model's vector length), not " + dimension);
            }
            requirePositive(requestTimeout, "requestTimeout");
            requirePositive(connectTimeout, "connectTimeout");
        }

        /** For logs, messages and metrics: without the query string, which may hold a key. */
        String endpoint() {
            return redacted(base);
        }
    }

    /** What both backends' builders take; each adds its own settings. */
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
            return new Settings(base(url), model, dimension, requestTimeout, connectTimeout);
        }

        /** For toString: the url and model, never a key. */
        String describe() {
            return "url=" + Secrets.redactUrl(url) + ", model=" + model;
        }
    }

    private static void requirePositive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
    }

    /**
     * The endpoint as given, checked: http or https, a host, no user info (credentials in a URL
     * end up in logs), no fragment; a trailing slash is dropped.
     */
    static URI base(String url) {
        Objects.requireNonNull(url, "endpoint url");
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("endpoint must be an http:// or https:// URL: " + Secrets.redactUrl(uri.toString()));
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("endpoint has no host: " + Secrets.redactUrl(uri.toString()));
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("endpoint must not carry credentials (user:password@); "
                    + "give an API key through its environment variable instead");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("endpoint must not have a fragment (#...): " + Secrets.redactUrl(uri.toString()));
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return withPath(uri, path);
    }

    /** The URL without what may be secret: user info and query string show as {@code ***}. */
    static String redacted(URI uri) {
        StringBuilder s = new StringBuilder(uri.getScheme()).append("://");
        if (uri.getRawUserInfo() != null) {
            s.append("***@");
        }
        s.append(uri.getHost());
        if (uri.getPort() >= 0) {
            s.append(':').append(uri.getPort());
        }
        s.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        return uri.getRawQuery() != null ? s.append("?***").toString() : s.toString();
    }

    /** {@code base} with its path replaced (the query, if any, is kept). */
    static URI withPath(URI base, String rawPath) {
        StringBuilder s = new StringBuilder(base.getScheme()).append("://").append(base.getRawAuthority()).append(rawPath);
        if (base.getRawQuery() != null) {
            s.append('?').append(base.getRawQuery());
        }
        return URI.create(s.toString());
    }

    /**
     * One backend's HTTP client and the requests it has in flight. Calls never block: requests go
     * out with {@link HttpClient#sendAsync}, and the futures complete on the client's threads.
     */
    static final class Transport {
        private final HttpClient client;
        private final Duration requestTimeout;
        private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
        private volatile boolean closed;

        Transport(URI base, Duration connectTimeout, Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            this.client = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    // Plain http: HTTP/1.1 straight away (no h2c upgrade dance with servers that do not
                    // speak it); https: HTTP/2 where the server offers it through ALPN.
                    .version("https".equalsIgnoreCase(base.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }

        /**
         * POSTs a JSON body. The future fails with a TRANSIENT {@link EmbeddingFailure} when no answer
         * came (refused, reset, timed out, closed); any answer, whatever its status, completes it.
         */
        CompletableFuture<HttpResponse<byte[]>> postJson(URI uri, byte[] body, Map<String, String> headers, String who) {
            if (closed) {
                return CompletableFuture.failedFuture(EmbeddingFailure.transientFailure(who + ": backend is closed", null));
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(requestTimeout)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(request::header);
            CompletableFuture<HttpResponse<byte[]>> sent = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            inFlight.add(sent);
            if (closed) { // close() ran between the check above and add(): it may have missed this one
                sent.cancel(true);
            }
            // Forgotten before the caller hears of it, so that in-flight counts are exact by then.
            return sent.whenComplete((r, e) -> inFlight.remove(sent)).handle((response, error) -> {
                if (error == null) {
                    return response;
                }
                throw noAnswer(unwrap(error), who);
            });
        }

        /** Fails the requests in flight (TRANSIENT, so they can go elsewhere) and refuses new ones. */
        void close() {
            closed = true;
            for (CompletableFuture<?> f : inFlight) {
                f.cancel(true);
            }
            inFlight.clear();
        }

        int inFlight() {
            return inFlight.size();
        }
    }

    /**
     * A future that completes as {@code chain} does, but with its failure itself (an {@link
     * EmbeddingFailure}) rather than the {@link CompletionException} that wraps whatever a stage
     * throws: {@code whenComplete} and {@code exceptionally} callers see the failure directly.
     */
    static <T> CompletableFuture<T> unwrapped(CompletableFuture<T> chain) {
        CompletableFuture<T> result = new CompletableFuture<>();
        chain.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(unwrap(error));
            }
        });
        return result;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static RuntimeException noAnswer(Throwable t, String who) {
        if (t instanceof EmbeddingFailure f) {
            return f;
        }
        if (t instanceof HttpConnectTimeoutException) {
            return EmbeddingFailure.transientFailure(who + ": connect timed out", t);
        }
        if (t instanceof HttpTimeoutException) {
            return EmbeddingFailure.transientFailure(who + ": no answer within the request timeout", t);
        }
        if (t instanceof CancellationException) {
            return EmbeddingFailure.transientFailure(who + ": request cancelled, the backend was closed", t);
        }
        if (t instanceof IOException) {
            return EmbeddingFailure.transientFailure(who + ": no answer: " + t, t);
        }
        // Not a network failure: a bug here or in the JDK. Do not disguise it as one.
        return t instanceof RuntimeException r ? r : new CompletionException(t);
    }

    /** The failure for a non-2xx answer; see the class comment. */
    static EmbeddingFailure statusFailure(HttpResponse<byte[]> response, String who) {
        int status = response.statusCode();
        String detail = errorDetail(response.body());
        String text = who + ": HTTP " + status + (detail.isEmpty() ? "" : ": " + detail);
        if (status >= 500 && reportsNonFinite(detail)) {
            return new EmbeddingFailure(EmbeddingFailure.Kind.PERMANENT, status,
                    text + " (the model gives a NaN or infinite value for some input of this batch)", null);
        }
        if (status == 408 || status == 429 || status >= 500) {
            String retryAfter = response.headers().firstValue("Retry-After").map(v -> " (Retry-After: " + v + ")").orElse("");
            return new EmbeddingFailure(EmbeddingFailure.Kind.TRANSIENT, status, text + retryAfter, null);
        }
        if (status == 401 || status == 403 || status == 404 || status == 405) {
            return new EmbeddingFailure(EmbeddingFailure.Kind.MISCONFIGURED, status, text, null);
        }
        if (status >= 300 && status < 400) {
            text += " (redirects are not followed; configure the final URL"
                    + response.headers().firstValue("Location").map(l -> ": " + l).orElse("") + ")";
        }
        return new EmbeddingFailure(EmbeddingFailure.Kind.PERMANENT, status, text, null);
    }

    static boolean isSuccess(HttpResponse<?> response) {
        return response.statusCode() >= 200 && response.statusCode() < 300;
    }

    /** Go's and Python's JSON encoders refuse NaN and infinities; servers then answer 500 with this text. */
    private static boolean reportsNonFinite(String detail) {
        String d = detail.toLowerCase(Locale.ROOT);
        return d.contains("unsupported value: nan") || d.contains("unsupported value: +inf")
                || d.contains("unsupported value: -inf") || d.contains("out of range float values are not json compliant");
    }

    /**
     * The server's own words for an error: {@code {"error": {"message": ..}}} (OpenAI, vLLM,
     * LiteLLM), {@code {"error": ".."}} (Ollama, TEI), {@code {"message": ..}} (older vLLM),
     * {@code {"detail": ..}} (FastAPI); else the start of the body as text. Never the request.
     */
    static String errorDetail(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        JsonNode json = null;
        try {
            json = JSON.readTree(body);
        } catch (IOException notJson) {
            // fall through to the raw text
        }
        if (json != null && json.isObject()) {
            String message = serverMessage(json);
            if (message != null) {
                return clip(message);
            }
        }
        return clip(new String(body, StandardCharsets.UTF_8));
    }

    /** The error message in a JSON answer, or null when it has none. */
    static String serverMessage(JsonNode json) {
        JsonNode error = json.get("error");
        if (error != null && error.isObject() && error.hasNonNull("message")) {
            return text(error.get("message"));
        }
        if (error != null && !error.isNull() && !error.isObject()) {
            return text(error);
        }
        for (String field : new String[] {"message", "detail"}) {
            if (json.hasNonNull(field)) {
                return text(json.get(field));
            }
        }
        return error != null && !error.isNull() ? error.toString() : null;
    }

    private static String text(JsonNode node) {
        return node.isValueNode() ? node.asText() : node.toString();
    }

    private static String clip(String s) {
        String oneLine = s.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= MAX_DETAIL ? oneLine : oneLine.substring(0, MAX_DETAIL) + "...";
    }

    /**
     * The JSON of a 2xx answer. Not JSON at all (empty, HTML, cut short) is TRANSIENT: that answer
     * came from something in between (a proxy, a load balancer), not from the embedding server.
     */
    static JsonNode successBody(HttpResponse<byte[]> response, String who) {
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            json = null;
        } catch (IOException e) {
            throw EmbeddingFailure.transientFailure(who + ": could not read the answer: " + e, e);
        }
        if (json == null || json.isMissingNode()) {
            throw new EmbeddingFailure(EmbeddingFailure.Kind.TRANSIENT, response.statusCode(),
                    who + ": HTTP " + response.statusCode() + " with a body that is not JSON (a proxy's page?): "
                            + (response.body().length == 0 ? "(empty)" : errorDetail(response.body())), null);
        }
        return json;
    }

    /** A PERMANENT failure about an answer that came (with its status). */
    static EmbeddingFailure badAnswer(HttpResponse<?> response, String who, String what) {
        return new EmbeddingFailure(EmbeddingFailure.Kind.PERMANENT, response.statusCode(), who + ": " + what, null);
    }

    /**
     * A JSON array of numbers as a vector, checked: {@code dimension} values, each a number that
     * is finite as a float ({@code null}, a NaN or Infinity literal, or a number beyond the float
     * range such as 1e39 is not). {@code position} names the vector in messages.
     */
    static float[] vector(JsonNode array, int dimension, int position, HttpResponse<?> response, String who) {
        if (array == null || !array.isArray()) {
            throw badAnswer(response, who, "vector " + position + " is not an array of numbers: " + clip(String.valueOf(array)));
        }
        if (array.size() != dimension) {
            throw wrongDimension(response, who, position, array.size(), dimension);
        }
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            JsonNode x = array.get(i);
            if (x.isNull()) { // what orjson and some encoders write for NaN
                throw nonFinite(response, who, position, i, "null");
            }
            if (!x.isNumber()) {
                throw badAnswer(response, who, "vector " + position + " has a non-number at " + i + ": " + clip(x.toString()));
            }
            v[i] = x.floatValue();
            if (!Float.isFinite(v[i])) {
                throw nonFinite(response, who, position, i, x.asText());
            }
        }
        return v;
    }

    /** Checks the values of a vector decoded from binary. */
    static float[] finite(float[] v, int position, HttpResponse<?> response, String who) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw nonFinite(response, who, position, i, Float.toString(v[i]));
            }
        }
        return v;
    }

    /**
     * Checks the vectors' lengths before their values: when every one has another length than
     * {@code expected}, the endpoint is misconfigured (no input is to blame); when only some have,
     * the first of those is a bad answer for its input.
     */
    static void checkDimensions(int[] lengths, int expected, HttpResponse<?> response, String who) {
        int wrong = (int) Arrays.stream(lengths).filter(n -> n != expected).count();
        if (wrong > 0 && wrong == lengths.length) {
            IntSummaryStatistics got = Arrays.stream(lengths).summaryStatistics();
            String values = got.getMin() == got.getMax() ? Integer.toString(got.getMin()) : got.getMin() + " to " + got.getMax();
            throw new EmbeddingFailure(EmbeddingFailure.Kind.MISCONFIGURED, response.statusCode(), who
                    + ": wrong dimension: every vector of the answer has " + values + " values, expected " + expected
                    + " (does the endpoint serve the configured model, and is the configured dimension the model's?)", null);
        }
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] != expected) {
                throw wrongDimension(response, who, i, lengths[i], expected);
            }
        }
    }

    static EmbeddingFailure wrongDimension(HttpResponse<?> response, String who, int position, int got, int expected) {
        return badAnswer(response, who, "wrong dimension: vector " + position + " has " + got + " values, expected "
                + expected + " (is the configured dimension the model's?)");
    }

    private static EmbeddingFailure nonFinite(HttpResponse<?> response, String who, int position, int index, String value) {
        return badAnswer(response, who, "vector " + position + " has a non-finite value (NaN or infinite) at "
                + index + ": " + value);
    }

    static byte[] write(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a request body", e);
        }
    }
}
