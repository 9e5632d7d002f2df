package io.ragstream.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code kafka.properties.<key>}: Kafka client settings passed as they are to every client the job
 * and the CLI create (the source, the dead-letter and status producers, {@code produce}, the admin
 * client), for {@code security.protocol}, {@code sasl.*}, {@code ssl.*} and the like. Values have
 * their {@code ${ENV}} references resolved; {@link #toString()} hides the values of secret keys.
 *
 * @param values client key (without the prefix) to value, resolved
 */
public record KafkaClientProperties(Map<String, String> values) implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String PREFIX = "kafka.properties.";

    /**
     * Keys the job sets itself, refused so that a setting cannot quietly break what the job relies
     * on: where it reads and writes ({@code bootstrap.servers}: use {@code
     * kafka.bootstrap-servers}), the byte (de)serializers its records are built for, its consumer
     * group and the offsets it commits only on checkpoints ({@code group.id}: use {@code
     * kafka.group-id}; auto-commit and the reset policy are its own), transactions (the sinks are
     * at least once; the produce command is idempotent), the request size its dead-letter and
     * status serializers size records to, and the Flink source's own discovery and commit switches.
     */
    static final Map<String, String> OWNED = ownedKeys();

    public KafkaClientProperties {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    public static KafkaClientProperties none() {
        return new KafkaClientProperties(Map.of());
    }

    public static KafkaClientProperties from(RagstreamConfig config) {
        return new KafkaClientProperties(config.kafkaProperties());
    }

    /**
     * Refuses a {@code kafka.properties.} key the job owns, or one with no client key after the
     * prefix.
     */
    static void check(String fullKey) {
        String key = fullKey.substring(PREFIX.length());
        if (key.isBlank()) {
            throw new ConfigException(
                    fullKey, "name a Kafka client setting after '" + PREFIX + "'");
        }
        String why = OWNED.get(key);
        if (why != null) {
            throw new ConfigException(
                    fullKey,
                    "'" + key + "' is set by ragstream itself and cannot be overridden: " + why);
        }
    }

    /** Adds the settings to a client's properties, replacing what was there. */
    public Properties applyTo(Properties properties) {
        properties.putAll(values);
        return properties;
    }

    public Map<String, String> asMap() {
        return values;
    }

    /** {@code message} with every secret value of these settings in it shown as {@code ******}. */
    public String redact(String message) {
        String out = message == null ? "" : message;
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (Secrets.isSecretKey(e.getKey()) && !e.getValue().isEmpty()) {
                out = out.replace(e.getValue(), "******");
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return values.entrySet().stream()
                .map(
                        e ->
                                e.getKey()
                                        + "="
                                        + (Secrets.isSecretKey(e.getKey())
                                                ? "******"
                                                : e.getValue()))
                .collect(Collectors.joining(", ", "KafkaClientProperties{", "}"));
    }

    private static Map<String, String> ownedKeys() {
        Map<String, String> owned = new TreeMap<>();
        owned.put("bootstrap.servers", "use kafka.bootstrap-servers");
        String serde = "ragstream reads and writes raw bytes and parses them itself";
        owned.put("key.serializer", serde);
        owned.put("value.serializer", serde);
        owned.put("key.deserializer", serde);
        owned.put("value.deserializer", serde);
        owned.put("group.id", "use kafka.group-id");
        owned.put("enable.auto.commit", "the job commits offsets on checkpoints, never on its own");
        owned.put(
                "auto.offset.reset",
                "the job starts from the committed offsets, else the earliest");
        owned.put(
                "isolation.level",
                "the job reads committed records only (read_committed): an aborted transaction's"
                        + " records never reach the tables");
        owned.put(
                "transactional.id",
                "the Kafka sinks are at least once and do not use transactions");
        owned.put(
                "max.request.size",
                "the dead-letter and status serializers size every record to the job's own limit");
        owned.put("partition.discovery.interval.ms", "use kafka.partition-discovery-interval");
        owned.put("commit.offsets.on.checkpoint", "the job commits offsets on checkpoints");
        owned.put(
                "allow.auto.create.topics",
                "the job never creates a topic it reads: one deleted on purpose stays deleted");
        return Collections.unmodifiableMap(owned);
    }
}
