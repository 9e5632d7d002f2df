package io.ragstream.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;

/**
 * What makes one pipeline's state its own: the topics it reads, the database and tables it writes,
 * and how it embeds and stores vectors. Two configurations with the same identity may share
 * checkpoints and a consumer group; anything else (user, password, intervals, batch sizes,
 * parallelism) can change between runs of one pipeline.
 *
 * @param topics the documents topic and the CDC topics, sorted
 * @param database {@code host:port/name} from {@code postgres.url}, without user, password or
 *     parameters
 */
public record PipelineIdentity(
        List<String> topics,
        String database,
        String documentsTable,
        String chunksTable,
        String model,
        String quantization) {

    private static final int DEFAULT_PG_PORT = 5432;

    public PipelineIdentity {
        topics = List.copyOf(new TreeSet<>(topics));
    }

    public static PipelineIdentity of(RagstreamConfig config) {
        List<String> topics = new ArrayList<>();
        topics.add(config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC).trim());
        config.get(RagstreamOptions.KAFKA_CDC_TOPICS).forEach(t -> topics.add(t.trim()));
        return new PipelineIdentity(
                topics,
                database(config.get(RagstreamOptions.POSTGRES_URL)),
                config.get(RagstreamOptions.POSTGRES_DOCUMENTS_TABLE).trim(),
                config.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE).trim(),
                config.get(RagstreamOptions.EMBEDDING_MODEL).trim(),
                config.get(RagstreamOptions.QUANTIZATION).trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The consumer group the job reads with: {@code kafka.group-id} when it is set, else one of
     * this pipeline's own, so that a new pipeline reads its topics from the earliest offset.
     */
    public static String consumerGroup(RagstreamConfig config) {
        String explicit = config.get(RagstreamOptions.KAFKA_GROUP_ID);
        if (explicit == null) {
            return "ragstream-" + of(config).id();
        }
        if (explicit.isBlank()) {
            throw new ConfigException(
                    RagstreamOptions.KAFKA_GROUP_ID.key(),
                    "is empty; leave it out for a consumer group of the pipeline's own, or name one");
        }
        return explicit.trim();
    }

    /**
     * 12 hex digits of SHA-256 over {@link #canonical()}: stable across runs, versions and
     * machines.
     */
    public String id() {
        try {
            byte[] hash =
                    MessageDigest.getInstance("SHA-256")
                            .digest(canonical().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * One field a line, in a fixed order: what the id is a hash of (so never change its format).
     */
    public String canonical() {
        return "topics="
                + String.join(",", topics)
                + "\n"
                + "database="
                + database
                + "\n"
                + "documents-table="
                + documentsTable
                + "\n"
                + "chunks-table="
                + chunksTable
                + "\n"
                + "model="
                + model
                + "\n"
                + "quantization="
                + quantization
                + "\n";
    }

    /** For people: what the pipeline reads and where it writes. */
    public String description() {
        return "pipeline "
                + id()
                + ": topics "
                + String.join(", ", topics)
                + " -> postgresql://"
                + database
                + " tables "
                + documentsTable
                + ", "
                + chunksTable
                + " (model "
                + model
                + ", quantization "
                + quantization
                + ")";
    }

    /**
     * {@code host:port/database} of a PostgreSQL JDBC URL, as the driver reads it (default host and
     * port filled in, several hosts kept in order); user, password and parameters left out.
     */
    static String database(String jdbcUrl) {
        Properties parsed = org.postgresql.Driver.parseURL(jdbcUrl, new Properties());
        if (parsed == null || parsed.getProperty("PGDBNAME", "").isEmpty()) {
            throw new ConfigException(
                    RagstreamOptions.POSTGRES_URL.key(),
                    "'"
                            + Secrets.withoutParameters(jdbcUrl)
                            + "' is not a PostgreSQL JDBC URL with a database, "
                            + "e.g. jdbc:postgresql://127.0.0.1:5432/ragstream");
        }
        String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",");
        String[] ports = parsed.getProperty("PGPORT", "").split(",");
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < hosts.length; i++) {
            String port =
                    i < ports.length && !ports[i].isBlank()
                            ? ports[i].trim()
                            : Integer.toString(DEFAULT_PG_PORT);
            servers.add(hosts[i].trim().toLowerCase(Locale.ROOT) + ":" + port);
        }
        return String.join(",", servers) + "/" + parsed.getProperty("PGDBNAME");
    }
}
