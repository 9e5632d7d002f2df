package io.ragstream.embed.server;

import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link EmbeddingServerOptions} as the JSON of {@code /admin/config}: the keys are the
 * command-line flags of {@code serve-embeddings} ({@code fixed-latency}, {@code fail-mode}, ...;
 * camelCase and snake_case are accepted too). Durations are strings such as {@code "20ms"}, {@code
 * "1 s"}, {@code "5min"}, or numbers of milliseconds; {@code null} clears {@code api-key}, {@code
 * poison-marker} and {@code served-model-name}.
 */
public final class OptionsJson {

    public static final String PORT = "port";
    public static final String MODEL = "model";
    public static final String SERVED_MODEL_NAME = "served-model-name";
    public static final String FIXED_LATENCY = "fixed-latency";
    public static final String PER_ITEM_LATENCY = "per-item-latency";
    public static final String MAX_CONCURRENCY = "max-concurrency";
    public static final String API_KEY = "api-key";
    public static final String FAIL_MODE = "fail-mode";
    public static final String FAIL_EVERY = "fail-every";
    public static final String POISON_MARKER = "poison-marker";
    public static final String HANG_FOR = "hang-for";
    public static final String MAX_REQUEST_BYTES = "max-request-bytes";

    static final List<String> KEYS =
            List.of(
                    PORT,
                    MODEL,
                    SERVED_MODEL_NAME,
                    FIXED_LATENCY,
                    PER_ITEM_LATENCY,
                    MAX_CONCURRENCY,
                    API_KEY,
                    FAIL_MODE,
                    FAIL_EVERY,
                    POISON_MARKER,
                    HANG_FOR,
                    MAX_REQUEST_BYTES);

    private OptionsJson() {}

    /**
     * The options as JSON; the API key is shown as {@code "***"}, {@code served-model-name} is null
     * when the model's own name is served.
     */
    public static ObjectNode render(EmbeddingServerOptions options) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put(PORT, options.port());
        json.put(MODEL, options.model().modelName());
        json.put(SERVED_MODEL_NAME, options.servedModelName());
        json.put(FIXED_LATENCY, format(options.fixedLatency()));
        json.put(PER_ITEM_LATENCY, format(options.perItemLatency()));
        json.put(MAX_CONCURRENCY, options.maxConcurrency());
        json.put(API_KEY, options.apiKey() == null ? null : "***");
        json.put(FAIL_MODE, options.failMode().wireName());
        json.put(FAIL_EVERY, options.failEvery());
        json.put(POISON_MARKER, options.poisonMarker());
        json.put(HANG_FOR, format(options.hangFor()));
        json.put(MAX_REQUEST_BYTES, options.maxRequestBytes());
        return json;
    }

    /**
     * The options with the settings of {@code patch} (a JSON object) applied; keys it leaves out
     * keep their values.
     *
     * @throws IllegalArgumentException for an unknown key, a bad value, or a port change
     */
    public static EmbeddingServerOptions apply(EmbeddingServerOptions options, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw new IllegalArgumentException("expected a JSON object of settings, keys: " + KEYS);
        }
        EmbeddingServerOptions o = options;
        List<String> unknown = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = normalize(field.getKey());
            JsonNode value = field.getValue();
            try {
                o =
                        switch (key) {
                            case PORT -> {
                                if (value.asInt(-1) != options.port()) {
                                    throw new IllegalArgumentException(
                                            "the port cannot change while the server runs");
                                }
                                yield o;
                            }
                            case MODEL -> o.withModel(ModelKind.parse(text(value, key)));
                            case SERVED_MODEL_NAME ->
                                    o.withServedModelName(nullableText(value, key));
                            case FIXED_LATENCY -> o.withFixedLatency(duration(value, key));
                            case PER_ITEM_LATENCY -> o.withPerItemLatency(duration(value, key));
                            case MAX_CONCURRENCY -> o.withMaxConcurrency(integer(value, key));
                            case API_KEY -> o.withApiKey(nullableText(value, key));
                            case FAIL_MODE -> o.withFailMode(FailMode.parse(text(value, key)));
                            case FAIL_EVERY -> o.withFailEvery(integer(value, key));
                            case POISON_MARKER -> o.withPoisonMarker(nullableText(value, key));
                            case HANG_FOR -> o.withHangFor(duration(value, key));
                            case MAX_REQUEST_BYTES -> o.withMaxRequestBytes(longValue(value, key));
                            default -> {
                                unknown.add(field.getKey());
                                yield o;
                            }
                        };
            } catch (IllegalArgumentException e) {
                String message = String.valueOf(e.getMessage());
                throw new IllegalArgumentException(
                        message.contains(key) ? message : key + ": " + message, e);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown setting(s) " + unknown + ", known: " + KEYS);
        }
        return o;
    }

    /**
     * {@code fixedLatency}, {@code fixed_latency} and {@code FIXED-LATENCY} become {@code
     * fixed-latency}.
     */
    static String normalize(String key) {
        StringBuilder out = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isUpperCase(c) && i > 0 && Character.isLowerCase(key.charAt(i - 1))) {
                out.append('-');
            }
            out.append(c == '_' ? '-' : Character.toLowerCase(c));
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }

    /** {@code "20ms"}, {@code "1 s"}, {@code "PT0.02S"} or a number of milliseconds. */
    public static Duration parseDuration(String value) {
        String v = value.trim();
        if (v.startsWith("PT") || v.startsWith("pt")) {
            return Duration.parse(v.toUpperCase(Locale.ROOT));
        }
        return TimeUtils.parseDuration(v);
    }

    /** E.g. {@code "20 ms"}; {@link #parseDuration} reads it back. */
    public static String format(Duration duration) {
        return TimeUtils.formatWithHighestUnit(duration);
    }

    private static Duration duration(JsonNode value, String key) {
        if (value.isNumber()) {
            return Duration.ofNanos(Math.round(value.asDouble() * 1_000_000));
        }
        return parseDuration(text(value, key));
    }

    private static int integer(JsonNode value, String key) {
        long number = longValue(value, key);
        if (number != (int) number) {
            throw new IllegalArgumentException(key + " must be an integer, got " + value);
        }
        return (int) number;
    }

    private static long longValue(JsonNode value, String key) {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.longValue();
        }
        if (value.isTextual()) {
            try {
                return Long.parseLong(value.textValue().trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(key + " must be an integer, got " + value);
    }

    private static String text(JsonNode value, String key) {
        if (value.isTextual() || value.isNumber()) {
            return value.asText();
        }
        throw new IllegalArgumentException(key + " must be a string, got " + value);
    }

    private static String nullableText(JsonNode value, String key) {
        return value.isNull() ? null : text(value, key);
    }
}
