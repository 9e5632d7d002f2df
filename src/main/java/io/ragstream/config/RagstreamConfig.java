package io.ragstream.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The job's settings: one YAML file, {@code key=value} overrides and {@code ${ENV}} values, checked
 * against {@link RagstreamOptions} so that a wrong key or value fails at start with a message
 * naming the key.
 */
public final class RagstreamConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * {@code ${NAME}}: an environment variable; {@code ${file:/path}}: a file's content (a mounted
     * secret).
     */
    private static final Pattern ENV_REF =
            Pattern.compile("\\$\\{(?:([A-Za-z_][A-Za-z0-9_]*)|file:([^}]+))}");

    private static final Map<String, ConfigOption<?>> OPTIONS =
            RagstreamOptions.ALL.stream()
                    .collect(
                            Collectors.toMap(
                                    ConfigOption::key, o -> o, (a, b) -> a, LinkedHashMap::new));

    private final Configuration conf;
    private final Map<String, String> env;

    private RagstreamConfig(Configuration conf, Map<String, String> env) {
        this.conf = conf;
        this.env = Map.copyOf(env);
        OPTIONS.values().forEach(this::typed); // a wrong value fails now, not in a running job
    }

    /** Settings from an optional YAML file, then {@code key=value} overrides on top. */
    public static RagstreamConfig load(Path yaml, List<String> overrides, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        if (yaml != null) {
            values.putAll(readYaml(yaml));
        }
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(override, "an override must look like key=value");
            }
            values.put(override.substring(0, eq).trim(), override.substring(eq + 1).trim());
        }
        return of(values, env);
    }

    public static RagstreamConfig of(Map<String, String> values, Map<String, String> env) {
        for (String key : values.keySet()) {
            if (key.startsWith(KafkaClientProperties.PREFIX)) {
                KafkaClientProperties.check(key);
            } else if (!OPTIONS.containsKey(key)) {
                throw new ConfigException(
                        key, "unknown key; did you mean '" + closestKey(key) + "'?");
            }
        }
        return new RagstreamConfig(Configuration.fromMap(values), env);
    }

    public static RagstreamConfig of(Map<String, String> values) {
        return of(values, System.getenv());
    }

    /** The option's value, with {@code ${ENV}} references in strings resolved. */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigOption<T> option) {
        T value = typed(option);
        return value instanceof String s ? (T) resolveEnv(option.key(), s) : value;
    }

    /**
     * The {@code kafka.properties.*} settings, keyed by the Kafka client key (prefix removed), with
     * {@code ${ENV}} references resolved; see {@link KafkaClientProperties}.
     */
    public Map<String, String> kafkaProperties() {
        Map<String, String> out = new TreeMap<>();
        conf.toMap()
                .forEach(
                        (key, value) -> {
                            if (key.startsWith(KafkaClientProperties.PREFIX)) {
                                out.put(
                                        key.substring(KafkaClientProperties.PREFIX.length()),
                                        resolveEnv(key, value));
                            }
                        });
        return out;
    }

    /**
     * Environment references are resolved only when a value is used: not every command needs all.
     */
    private <T> T typed(ConfigOption<T> option) {
        try {
            return conf.get(option);
        } catch (RuntimeException e) {
            throw new ConfigException(option.key(), rootMessage(e));
        }
    }

    /** Whether the option was given (in the file or an override), not left at its default. */
    public boolean isSet(ConfigOption<?> option) {
        return conf.contains(option);
    }

    /** A copy with one more override: for tests and commands that adjust a setting. */
    public RagstreamConfig with(String key, String value) {
        Map<String, String> values = new LinkedHashMap<>(conf.toMap());
        values.put(key, value);
        return of(values, env);
    }

    /** The value as one of the listed names, or an error that lists them. */
    public String choice(ConfigOption<String> option, String... allowed) {
        String value = get(option).trim().toLowerCase();
        for (String a : allowed) {
            if (a.equals(value)) {
                return a;
            }
        }
        throw new ConfigException(
                option.key(), "'" + value + "' is not one of " + String.join(" | ", allowed));
    }

    public int positive(ConfigOption<Integer> option) {
        int value = get(option);
        if (value <= 0) {
            throw new ConfigException(option.key(), "must be > 0, was " + value);
        }
        return value;
    }

    /** A duration of at least {@code min}, e.g. a timeout that must be positive. */
    public Duration atLeast(ConfigOption<Duration> option, Duration min) {
        Duration value = get(option);
        if (value.compareTo(min) < 0) {
            throw new ConfigException(
                    option.key(),
                    "must be at least "
                            + TimeUtils.formatWithHighestUnit(min)
                            + ", was "
                            + TimeUtils.formatWithHighestUnit(value));
        }
        return value;
    }

    public int between(ConfigOption<Integer> option, int min, int max) {
        int value = get(option);
        if (value < min || value > max) {
            throw new ConfigException(
                    option.key(), "must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * The file's content without its trailing line break, as Kubernetes and Docker secrets are
     * mounted.
     */
    private static String readSecretFile(String key, String path) {
        try {
            return Files.readString(Path.of(path.trim())).stripTrailing();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(
                    key,
                    "cannot read the file in ${file:"
                            + path
                            + "}: "
                            + e.getClass().getSimpleName());
        }
    }

    private String resolveEnv(String key, String value) {
        Matcher m = ENV_REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String resolved =
                    m.group(1) != null ? env.get(m.group(1)) : readSecretFile(key, m.group(2));
            if (resolved == null) {
                throw new ConfigException(
                        key, "environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(resolved));
        }
        return m.appendTail(out).toString();
    }

    private static Map<String, String> readYaml(Path file) {
        Object tree;
        try {
            // a section given twice would otherwise replace the first one whole, silently
            ObjectMapper yaml =
                    new ObjectMapper(
                            YAMLFactory.builder()
                                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                                    .build());
            JsonNode node = yaml.readTree(Files.readString(file));
            // an empty file, or one with only comments, means: all defaults
            tree =
                    node == null || node.isMissingNode() || node.isNull()
                            ? null
                            : yaml.convertValue(node, Object.class);
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> flat = new LinkedHashMap<>();
        if (tree instanceof Map<?, ?> map) {
            flatten("", map, flat);
        } else if (tree != null) {
            throw new ConfigException("--config", file + " must hold a YAML mapping of keys");
        }
        return flat;
    }

    /** Nested YAML maps become dotted keys; a known key keeps its list or map value whole. */
    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = prefix + e.getKey();
            Object value = e.getValue();
            if (value instanceof Map<?, ?> nested && !OPTIONS.containsKey(key)) {
                flatten(key + ".", nested, out);
            } else if (out.put(key, flinkString(key, value)) != null) {
                throw new ConfigException(
                        key, "given twice in the file (once nested, once with dots)");
            }
        }
    }

    /**
     * The brokers may be a YAML list, as other Kafka tools take them; Kafka joins them by commas.
     */
    private static String flinkString(String key, Object value) {
        return key.equals(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS.key())
                        && value instanceof List<?> brokers
                ? brokers.stream().map(String::valueOf).collect(Collectors.joining(","))
                : toFlinkString(value);
    }

    /**
     * Flink's own string syntax for lists ("a;b") and maps ("k:v,k2:v2"), quoted as Flink quotes.
     */
    private static String toFlinkString(Object value) {
        if (value instanceof List<?> list) {
            return list.stream()
                    .map(v -> escape(toFlinkString(v), ";"))
                    .collect(Collectors.joining(";"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream()
                    .map(
                            e ->
                                    escape(
                                            escape(String.valueOf(e.getKey()), ":")
                                                    + ":"
                                                    + escape(toFlinkString(e.getValue()), ":"),
                                            ","))
                    .collect(Collectors.joining(","));
        }
        return value == null ? "" : String.valueOf(value);
    }

    /**
     * Quotes a whole element when it holds a delimiter or a quote (Flink's ConfigurationUtils does
     * the same).
     */
    private static String escape(String s, String delimiter) {
        boolean quote = s.contains("'") || s.contains("\"") || s.contains(delimiter);
        return quote ? "'" + s.replace("'", "''") + "'" : s;
    }

    private static String closestKey(String key) {
        return OPTIONS.keySet().stream()
                .min(Comparator.comparingInt(k -> editDistance(k, key)))
                .orElse("");
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            prev = cur;
        }
        return prev[b.length()];
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? e.getMessage() : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
