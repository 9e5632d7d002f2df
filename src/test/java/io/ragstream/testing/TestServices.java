package io.ragstream.testing;

import io.ragstream.config.RagstreamConfig;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real Kafka broker and PostgreSQL that {@code bin/ragstream test} starts, and a namespace
 * (topics, tables, consumer group) of one test's own so tests never see each other's data. {@link
 * JobFixture#services} hands one out and closes it when its test (or class) is done.
 */
public final class TestServices implements AutoCloseable {
    public static final String KAFKA = System.getProperty("ragstream.it.kafka", "127.0.0.1:9092");
    public static final String PG_URL =
            System.getProperty("ragstream.it.pg.url", "jdbc:postgresql://127.0.0.1:5432/ragstream");
    public static final String PG_USER = "ragstream";
    public static final String PG_PASSWORD = "ragstream";

    /**
     * The broker's SASL_SSL listener: a Kafka client's settings for it, written by {@code services
     * start}.
     */
    public static final Path KAFKA_SASL_SSL =
            Path.of(
                    System.getProperty(
                            "ragstream.it.kafka.sasl-ssl",
                            ".ragstream/kafka/client-sasl-ssl.properties"));

    /** The local CA that signed the broker's and PostgreSQL's certificate. */
    public static final Path TLS_CA =
            Path.of(System.getProperty("ragstream.it.tls.ca", ".ragstream/tls/ca.pem"));

    /** Names unique to one test. */
    public final String name;

    public final String documentsTopic;
    public final String dlqTopic;
    public final String statusTopic;
    public final String documentsTable;
    public final String chunksTable;

    /** The topics of this namespace: its own three and any it created. */
    private final Set<String> topics = new LinkedHashSet<>();

    public TestServices(String testName) {
        name =
                testName.toLowerCase().replaceAll("[^a-z0-9]", "")
                        + "_"
                        + UUID.randomUUID().toString().substring(0, 8);
        documentsTopic = "it." + name + ".documents";
        dlqTopic = "it." + name + ".dlq";
        statusTopic = "it." + name + ".status";
        documentsTable = name + "_documents";
        chunksTable = name + "_chunks";
        topics.addAll(List.of(documentsTopic, dlqTopic, statusTopic));
    }

    /** Job settings pointing at this test's topics and tables; extra entries override. */
    public RagstreamConfig config(String... overrides) {
        return config(Map.of(), overrides);
    }

    /** The same, with {@code ${NAME}} references in the settings resolved from {@code env}. */
    public RagstreamConfig config(Map<String, String> env, String... overrides) {
        return RagstreamConfig.of(settings(overrides), env);
    }

    /** The same, on top of a YAML file (for settings such as lists of endpoints). */
    public RagstreamConfig config(Path yaml, String... overrides) {
        return RagstreamConfig.load(
                yaml,
                settings(overrides).entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .toList(),
                Map.of());
    }

    /** The same settings as a job's or the CLI's arguments ({@code --set key=value ...}). */
    public List<String> jobArguments(String... overrides) {
        List<String> args = new ArrayList<>();
        settings(overrides)
                .forEach((key, value) -> args.addAll(List.of("--set", key + "=" + value)));
        return args;
    }

    private Map<String, String> settings(String... overrides) {
        Map<String, String> values = new HashMap<>();
        values.put("kafka.bootstrap-servers", KAFKA);
        values.put("kafka.documents-topic", documentsTopic);
        values.put("kafka.dlq-topic", dlqTopic);
        values.put("kafka.status-topic", statusTopic);
        values.put("kafka.group-id", "it-" + name);
        values.put("kafka.partition-discovery-interval", "1s");
        values.put("postgres.url", PG_URL);
        values.put("postgres.user", PG_USER);
        values.put("postgres.password", PG_PASSWORD);
        values.put("postgres.documents-table", documentsTable);
        values.put("postgres.chunks-table", chunksTable);
        values.put("checkpoint.interval", "1s");
        for (String o : overrides) {
            int eq = o.indexOf('=');
            values.put(o.substring(0, eq), o.substring(eq + 1));
        }
        return values;
    }

    /** The settings of a Kafka client for the SASL_SSL listener, secrets included. */
    public static Properties saslSslClient() throws IOException {
        if (!Files.isReadable(KAFKA_SASL_SSL)) {
            throw new IOException(
                    KAFKA_SASL_SSL
                            + " is missing: the local broker writes it when it starts its SASL_SSL "
                            + "listener (bin/ragstream services start)");
        }
        Properties props = new Properties();
        try (var in = Files.newInputStream(KAFKA_SASL_SSL)) {
            props.load(in);
        }
        return props;
    }

    public static Connection connect() throws SQLException {
        try {
            return DriverManager.getConnection(PG_URL, PG_USER, PG_PASSWORD);
        } catch (SQLException e) {
            throw new SQLException(
                    "PostgreSQL at "
                            + PG_URL
                            + " is not reachable: run the tests with "
                            + "bin/ragstream test (or start it with bin/ragstream services start)",
                    e);
        }
    }

    /** An admin client of the local broker; close it. */
    public static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA));
    }

    public void createTopics(int partitions, String... topics) throws Exception {
        createTopics(partitions, Map.of(), topics);
    }

    /**
     * Topics with settings of their own, such as {@code max.message.bytes}; they belong to this
     * namespace.
     */
    public void createTopics(int partitions, Map<String, String> topicConfig, String... topics)
            throws Exception {
        this.topics.addAll(List.of(topics));
        try (Admin admin = admin()) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (String t : topics) {
                newTopics.add(new NewTopic(t, partitions, (short) 1).configs(topicConfig));
            }
            admin.createTopics(newTopics).all().get();
        }
    }

    /**
     * This test's documents topic (of {@code partitions}), dead-letter and status topics (of one
     * each) on the brokers {@code admin} talks to: a private broker, or another listener.
     */
    public void createJobTopics(Admin admin, int partitions) throws Exception {
        admin.createTopics(
                        List.of(
                                new NewTopic(documentsTopic, partitions, (short) 1),
                                new NewTopic(dlqTopic, 1, (short) 1),
                                new NewTopic(statusTopic, 1, (short) 1)))
                .all()
                .get(30, TimeUnit.SECONDS);
    }

    /** A document event as a producer publishes it; {@code version} null: none. */
    public static String document(String tenant, String id, Long version, String text) {
        com.fasterxml.jackson.databind.node.ObjectNode event =
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .createObjectNode()
                        .put("tenant", tenant)
                        .put("id", id);
        if (version != null) {
            event.put("version", version);
        }
        return event.put("text", text).toString();
    }

    /** Whether the brokers have this topic now. */
    public static boolean topicExists(String topic) throws Exception {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get().contains(topic);
        }
    }

    public void deleteTopics(String... topics) throws Exception {
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(topics)).all().get();
        } catch (ExecutionException e) {
            // a topic the test never got to create
        }
    }

    /**
     * Cleans the namespace up once nothing writes to it any more: rolls back what the exactly-once
     * sink (by its default transaction prefix, {@code <chunks table>-...}) left prepared, drops the
     * tables and deletes the topics.
     */
    @Override
    public void close() throws Exception {
        rollBackPreparedTransactions();
        dropTables();
        deleteTopics(topics.toArray(String[]::new));
    }

    /**
     * Rolls back what the exactly-once sink (by its default transaction prefix) left prepared, as a
     * database restored from a backup has nothing prepared.
     */
    public void rollBackPreparedTransactions() throws SQLException {
        try (Connection c = connect();
                var st = c.createStatement()) {
            for (String gid :
                    rows(
                            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
                                    + " AND starts_with(gid, '"
                                    + chunksTable
                                    + "-')")) {
                st.execute("ROLLBACK PREPARED '" + gid.replace("'", "''") + "'");
            }
        }
    }

    public static KafkaProducer<byte[], byte[]> producer() {
        return producer(Map.of());
    }

    /** A producer with settings of its own, such as a larger {@code max.request.size}. */
    public static KafkaProducer<byte[], byte[]> producer(Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putAll(overrides);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String key, String value)
            throws Exception {
        send(
                producer,
                topic,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    public static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    /** Reads a topic from the start until {@code expected} records arrived or the time is up. */
    public static List<ConsumerRecord<byte[], byte[]>> readTopic(
            String topic, int expected, Duration timeout) {
        return readTopic(topic, record -> true, expected, timeout);
    }

    /**
     * The same, keeping only the records {@code wanted} accepts, e.g. those of the test's own keys.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readTopic(
            String topic,
            Predicate<ConsumerRecord<byte[], byte[]>> wanted,
            int expected,
            Duration timeout) {
        Properties plaintext = new Properties();
        plaintext.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA);
        return readTopic(topic, wanted, expected, timeout, plaintext);
    }

    /**
     * The same as the first, through a listener of the given client settings (bootstrap servers
     * included).
     */
    public static List<ConsumerRecord<byte[], byte[]>> readTopic(
            String topic, int expected, Duration timeout, Properties client) {
        return readTopic(topic, record -> true, expected, timeout, client);
    }

    private static List<ConsumerRecord<byte[], byte[]>> readTopic(
            String topic,
            Predicate<ConsumerRecord<byte[], byte[]>> wanted,
            int expected,
            Duration timeout,
            Properties client) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plus(timeout);
            while (records.size() < expected && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200))
                        .forEach(
                                record -> {
                                    if (wanted.test(record)) {
                                        records.add(record);
                                    }
                                });
            }
        }
        return records;
    }

    /**
     * Polls until the condition holds; fails with the description when time is up. For the tests
     * not yet on Awaitility's own API ({@code await(what).atMost(timeout).until(...)}).
     */
    public static void await(String what, Duration timeout, CheckedCondition condition) {
        Awaitility.await(what)
                .atMost(timeout)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(200))
                .until(condition::holds);
    }

    @FunctionalInterface
    public interface CheckedCondition {
        boolean holds() throws Exception;
    }

    /** The shipped test corpus as a JSONL file in {@code dir}, for backfills. */
    public static Path testCorpusFile(Path dir) throws IOException {
        Path file = dir.resolve("e2e-documents.jsonl");
        try (InputStream in =
                TestServices.class.getResourceAsStream("/corpus/e2e-documents.jsonl")) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    /** The small corpus the project ships for its tests: ten documents of tenant acme. */
    public static List<com.fasterxml.jackson.databind.JsonNode> testCorpus() throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> docs = new ArrayList<>();
        try (InputStream in =
                TestServices.class.getResourceAsStream("/corpus/e2e-documents.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    docs.add(json.readTree(line));
                }
            }
        }
        return docs;
    }

    /** The first column of every row a query returns, as text. */
    public static List<String> rows(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect();
                var st = c.createStatement();
                var rs = st.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    /**
     * The number the first column of the first row holds, 0 if there is no row, e.g. of a {@code
     * count(*)}.
     */
    public static long count(String sql) throws SQLException {
        try (Connection c = connect();
                var st = c.prepareStatement(sql);
                var rs = st.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** The first column of the one row a query must return, as text. */
    public static String queryString(String sql) throws SQLException {
        try (Connection c = connect();
                var st = c.prepareStatement(sql);
                var rs = st.executeQuery()) {
            if (!rs.next()) {
                throw new AssertionError("no row for " + sql);
            }
            return rs.getString(1);
        }
    }

    /**
     * {@code expression} (e.g. {@code doc_id}) of every live document of this test's table, by id;
     * none before the job made its tables.
     */
    public List<String> liveDocuments(String expression) throws SQLException {
        try {
            return rows(
                    "SELECT "
                            + expression
                            + " FROM \""
                            + documentsTable
                            + "\" WHERE NOT deleted ORDER BY doc_id");
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) { // undefined_table
                return List.of();
            }
            throw e;
        }
    }

    /** Drops this test's tables. */
    public void dropTables() throws SQLException {
        try (Connection c = connect();
                var st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS \"" + chunksTable + "\"");
            st.execute("DROP TABLE IF EXISTS \"" + documentsTable + "\"");
        }
    }
}
