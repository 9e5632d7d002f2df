package io.ragstream.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An OpenAI-compatible embeddings endpoint (OpenAI itself, vLLM, Hugging Face TEI, LiteLLM,
 * llama.cpp, Ollama's {@code /v1}): one {@link #embed} call is one {@code POST .../v1/embeddings}
 * with the whole batch as its {@code input} array:
 *
 * <pre>{@code
 * {"model": "text-embedding-3-small", "input": ["text 1", "text 2"], "encoding_format": "base64"}
 * }</pre>
 *
 * answered with {@code {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding":
 * ..}, ..], ..}}. The vectors are put in input order by their {@code index}, not by their place in
 * {@code data}.
 *
 * <p>URL: {@code http://host:8000} and {@code http://host:8000/v1} both mean {@code
 * http://host:8000/v1/embeddings}; a URL whose path already ends in {@code /embeddings} is used as
 * given (for gateways with other prefixes).
 *
 * <p>Encoding: {@code base64} by default, the float32 values little-endian, a quarter of the JSON
 * size and exact. A server that rejects it (a 400 or 422 whose error mentions {@code
 * encoding_format} or base64) gets the same request again with {@code float}, and this backend asks
 * for floats from then on ({@link #encodingFormat()}). A server that ignores the parameter and
 * sends arrays of numbers anyway is understood too: each {@code embedding} is read by its JSON
 * type.
 *
 * <p>API key: sent as {@code Authorization: Bearer <key>} when one is configured, read from the
 * environment variable named by {@link Builder#apiKeyEnv} when the backend is built (so on the
 * TaskManager that opens it); an unset variable means no key (a warning, not an error, since
 * keyless local servers are common). The key appears in no log, exception or {@link #toString()}.
 *
 * <p>Vectors are checked and of unit norm as {@link VectorChecks} describes (OpenAI's are unit
 * length already and pass as it gives them; a server's that are not are scaled): as many as inputs,
 * each index once, each of {@link #dimension()} finite values (all of another length:
 * MISCONFIGURED, the endpoint serves another model); {@code null} in a float array (what
 * orjson-based servers write for NaN) counts as NaN. Failures are classified as {@link
 * HttpFailures} describes; OpenAI-style errors {@code {"error": {"message": ..}}} and the variants
 * of compatible servers have their message in the exception message.
 *
 * <p>Thread safety: any number of threads may call {@link #embed} at once.
 */
public final class OpenAiBackend extends HttpBackend {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiBackend.class);

    /** How the server is asked to encode vectors ({@code encoding_format}). */
    public enum EncodingFormat {
        /** Little-endian float32, base64: compact and exact. */
        BASE64,
        /** A JSON array of numbers: what every compatible server supports. */
        FLOAT;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String KIND = "OpenAI-compatible endpoint";

    private final URI embeddingsUri;
    private final EncodingFormat requestedFormat;
    private final AtomicBoolean base64Rejected = new AtomicBoolean();
    private final String apiKeyEnv;
    private final Map<String, String> authHeaders;

    private OpenAiBackend(
            Settings settings,
            EncodingFormat format,
            String apiKeyEnv,
            Map<String, String> authHeaders) {
        super(settings, KIND);
        this.embeddingsUri = embeddingsUri(settings.base());
        this.requestedFormat = format;
        this.apiKeyEnv = apiKeyEnv;
        this.authHeaders = authHeaders;
    }

    /**
     * {@code url}: the server's base URL, e.g. {@code https://api.openai.com}, {@code
     * http://vllm:8000/v1}, or a full {@code .../embeddings} URL.
     */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    static URI embeddingsUri(URI base) {
        String path = base.getRawPath();
        if (path.endsWith("/embeddings")) {
            return base;
        }
        return EndpointUrls.withPath(
                base, path.matches(".*/v\\d+") ? path + "/embeddings" : path + "/v1/embeddings");
    }

    /**
     * The key as a header value; the JDK's own check would put the value in its exception message.
     */
    private static String checkedKey(String key) {
        String k = key.strip();
        if (k.isEmpty() || k.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException(
                    "the API key is empty or has characters not allowed in an HTTP header");
        }
        return k;
    }

    /**
     * The encoding requests use now: the configured one, or FLOAT once the server rejected base64.
     */
    public EncodingFormat encodingFormat() {
        return requestedFormat == EncodingFormat.BASE64 && !base64Rejected.get()
                ? EncodingFormat.BASE64
                : EncodingFormat.FLOAT;
    }

    @Override
    CompletableFuture<List<float[]>> embedBatch(List<String> batch) {
        EncodingFormat format = encodingFormat();
        return send(batch, format)
                .thenCompose(
                        response -> {
                            if (format == EncodingFormat.BASE64 && rejectsBase64(response)) {
                                if (base64Rejected.compareAndSet(false, true)) {
                                    LOG.warn(
                                            "{} rejects encoding_format=base64 (HTTP {}: {}); asking for float from now on",
                                            who,
                                            response.statusCode(),
                                            HttpFailures.errorDetail(response.body()));
                                }
                                return send(batch, EncodingFormat.FLOAT)
                                        .thenApply(r -> vectors(r, batch.size()));
                            }
                            return CompletableFuture.completedFuture(
                                    vectors(response, batch.size()));
                        });
    }

    private CompletableFuture<HttpResponse<byte[]>> send(
            List<String> batch, EncodingFormat format) {
        ObjectNode body = HttpTransport.JSON.createObjectNode();
        body.put("model", settings.model());
        ArrayNode input = body.putArray("input");
        batch.forEach(input::add);
        body.put("encoding_format", format.wireName());
        return post(embeddingsUri, body, authHeaders);
    }

    private static boolean rejectsBase64(HttpResponse<byte[]> response) {
        if (response.statusCode() != 400 && response.statusCode() != 422) {
            return false;
        }
        String body = new String(response.body(), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        return body.contains("encoding_format") || body.contains("base64");
    }

    /** A refused key when none was sent says so, and names the variable that is not set. */
    @Override
    EmbeddingFailure statusFailure(HttpResponse<byte[]> response) {
        EmbeddingFailure failure = super.statusFailure(response);
        if ((response.statusCode() == 401 || response.statusCode() == 403)
                && authHeaders.isEmpty()) {
            return new EmbeddingFailure(
                    failure.kind(),
                    failure.status(),
                    failure.getMessage()
                            + " (no API key was sent"
                            + (apiKeyEnv != null
                                    ? ": environment variable " + apiKeyEnv + " is not set)"
                                    : ")"),
                    null);
        }
        return failure;
    }

    private List<float[]> vectors(HttpResponse<byte[]> response, int expected) {
        JsonNode data =
                answerArray(
                        response,
                        "data",
                        expected,
                        "is this an OpenAI-compatible /v1/embeddings endpoint?");
        // first every vector's length (a wrong one everywhere is the endpoint's fault), then the
        // values
        JsonNode[] arrays = new JsonNode[expected];
        float[][] decoded = new float[expected][];
        int[] lengths = new int[expected];
        for (int i = 0; i < expected; i++) {
            JsonNode item = data.get(i);
            int index = index(item, i, expected, response);
            if (arrays[index] != null || decoded[index] != null) {
                throw HttpFailures.badAnswer(
                        response, who, "index " + index + " appears twice in \"data\"");
            }
            JsonNode embedding = item.get("embedding");
            if (embedding != null && embedding.isTextual()) {
                decoded[index] = decodeBase64(embedding.asText(), index, response);
                lengths[index] = decoded[index].length;
            } else {
                arrays[index] = embedding == null ? HttpTransport.JSON.nullNode() : embedding;
                lengths[index] =
                        embedding != null && embedding.isArray()
                                ? embedding.size()
                                : settings.dimension(); // else: vector() says why
            }
        }
        VectorChecks checks = VectorChecks.of(response, settings.dimension(), who);
        checks.dimensions(lengths);
        float[][] vectors = new float[expected][];
        for (int i = 0; i < expected; i++) {
            vectors[i] =
                    decoded[i] != null
                            ? checks.decoded(decoded[i], i)
                            : checks.vector(arrays[i], i);
        }
        return Arrays.asList(vectors);
    }

    /**
     * The input a {@code data} item belongs to: its {@code index}, or its place when it has none.
     */
    private int index(JsonNode item, int place, int expected, HttpResponse<?> response) {
        if (item == null || !item.isObject()) {
            throw HttpFailures.badAnswer(response, who, "data[" + place + "] is not an object");
        }
        JsonNode index = item.get("index");
        if (index == null || index.isNull()) {
            return place;
        }
        if (!index.canConvertToInt()
                || !index.isIntegralNumber()
                || index.intValue() < 0
                || index.intValue() >= expected) {
            throw HttpFailures.badAnswer(
                    response,
                    who,
                    "data[" + place + "] has index " + index + ", not one of 0.." + (expected - 1));
        }
        return index.intValue();
    }

    private float[] decodeBase64(String encoded, int index, HttpResponse<?> response) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw HttpFailures.badAnswer(
                    response, who, "vector " + index + " is not valid base64: " + e.getMessage());
        }
        if (bytes.length % Float.BYTES != 0) {
            throw HttpFailures.badAnswer(
                    response,
                    who,
                    "vector "
                            + index
                            + " has "
                            + bytes.length
                            + " bytes, not a whole number of float32 values");
        }
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v; // its length and values are checked with the others'
    }

    @Override
    public String toString() {
        return "OpenAiBackend{"
                + describe()
                + ", encodingFormat="
                + encodingFormat()
                + ", apiKey="
                + (authHeaders.isEmpty()
                        ? "none"
                        : apiKeyEnv != null ? "from $" + apiKeyEnv : "given")
                + "}";
    }

    public static final class Builder extends HttpBackend.Builder<Builder> {
        private EncodingFormat encodingFormat = EncodingFormat.BASE64;
        private String apiKeyEnv;
        private String apiKey;
        private Function<String, String> environment = System::getenv;

        private Builder(String url) {
            super(url);
        }

        @Override
        Builder self() {
            return this;
        }

        /** BASE64 (default; falls back to FLOAT by itself where rejected) or FLOAT. */
        public Builder encodingFormat(EncodingFormat encodingFormat) {
            this.encodingFormat = encodingFormat;
            return this;
        }

        /**
         * The environment variable that holds the API key, e.g. {@code OPENAI_API_KEY}, read by
         * {@link #build()}. None (the default), or a variable that is unset or blank: no
         * Authorization header, as local vLLM and TEI servers expect (an unset variable is logged
         * as a warning, and named in the failure if the server then answers 401 or 403).
         */
        public Builder apiKeyEnv(String variable) {
            this.apiKeyEnv = variable == null || variable.isBlank() ? null : variable.strip();
            return this;
        }

        /** The API key itself, for callers that hold it already (wins over {@link #apiKeyEnv}). */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** Where {@link #apiKeyEnv} is looked up; tests only. */
        Builder environment(Function<String, String> environment) {
            this.environment = Objects.requireNonNull(environment);
            return this;
        }

        public OpenAiBackend build() {
            Settings settings = settings();
            Objects.requireNonNull(encodingFormat, "encodingFormat");
            String key = apiKey;
            if (key == null && apiKeyEnv != null) {
                key = environment.apply(apiKeyEnv);
                if (key == null || key.isBlank()) {
                    // Local vLLM and TEI servers take no key, and the variable is named by default.
                    LOG.warn(
                            "{}: environment variable {} is not set; requests go without an API key",
                            settings.who(KIND),
                            apiKeyEnv);
                    key = null;
                }
            }
            Map<String, String> authHeaders =
                    key == null ? Map.of() : Map.of("Authorization", "Bearer " + checkedKey(key));
            return new OpenAiBackend(settings, encodingFormat, apiKeyEnv, authHeaders);
        }

        @Override
        public String toString() {
            return "OpenAiBackend.Builder{" + describe() + ", apiKeyEnv=" + apiKeyEnv + "}";
        }
    }
}
