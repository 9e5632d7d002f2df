package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.Secrets;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.testing.CapturedLogs;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.JobProcess;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The job as against a managed Kafka and PostgreSQL: the local broker's SASL_SSL listener
 * (SCRAM-SHA-512 over TLS) and PostgreSQL over TLS with {@code sslmode=verify-full}, both with
 * certificates of the CA {@code bin/ragstream services} made. Documents go in and rows come out,
 * dead letters and status records are written through the same listener, and none of the secrets
 * the job was given appears in anything it wrote: logs, dead letters, status records, the REST
 * API's job details and exception history (after the database drops the sink's sessions). A wrong
 * password stops the job before it starts, naming the setting.
 */
class SecuredServicesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private final String pgRole = "it_secured_" + UUID.randomUUID().toString().substring(0, 8);
    private final String pgPassword = "pg-" + UUID.randomUUID();
    private TestServices services;
    private Properties broker;
    private Path truststorePasswordFile;

    /**
     * Its topics and tables; the fixture drops them, rolling back what the sink left prepared,
     * before the role goes.
     */
    @BeforeEach
    void namespace() {
        services = IT.services("secured");
    }

    @Test
    void theJobRunsThroughTheSecuredListenerAndKeepsItsSecretsOutOfSight() throws Exception {
        broker = TestServices.saslSslClient();
        String scramPassword = jaasPassword(broker.getProperty("sasl.jaas.config"));
        List<String> secrets =
                List.of(scramPassword, broker.getProperty("ssl.truststore.password"), pgPassword);
        createRole();
        RagstreamConfig config = securedConfig(broker.getProperty("sasl.jaas.config"));
        try (Admin admin = Admin.create(broker)) {
            services.createJobTopics(admin, 2);
        }
        List<JsonNode> corpus = TestServices.testCorpus();
        List<String> written = new ArrayList<>();

        List<LogEvent> logs =
                CapturedLogs.everything(
                        () -> {
                            RunningJob job = IT.start(config);
                            try {
                                try (KafkaProducer<byte[], byte[]> producer =
                                        new KafkaProducer<>(
                                                broker,
                                                new ByteArraySerializer(),
                                                new ByteArraySerializer())) {
                                    for (JsonNode doc : corpus) {
                                        producer.send(
                                                        new ProducerRecord<>(
                                                                services.documentsTopic,
                                                                ("acme/" + doc.get("id").asText())
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8),
                                                                doc.toString()
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8)))
                                                .get();
                                    }
                                    producer.send(
                                                    new ProducerRecord<>(
                                                            services.documentsTopic,
                                                            "acme/broken"
                                                                    .getBytes(
                                                                            StandardCharsets.UTF_8),
                                                            "{\"id\": \"broken\", \"text\": "
                                                                    .getBytes(
                                                                            StandardCharsets
                                                                                    .UTF_8)))
                                            .get();
                                }
                                awaitDocuments(corpus.size());
                                assertThat(
                                                TestServices.rows(
                                                        "SELECT bool_and(ssl)::text FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
                                                                + " WHERE usename = '"
                                                                + pgRole
                                                                + "'"))
                                        .as("the sink's sessions run over TLS")
                                        .containsExactly("true");

                                // a failure, so that the web UI's exception history has something
                                // to show: the
                                // database drops the sink's sessions, and the next write fails
                                TestServices.rows(
                                        "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE usename = '"
                                                + pgRole
                                                + "'");
                                // `produce` takes the same settings
                                CorpusPublisher.publish(
                                        config,
                                        services.documentsTopic,
                                        List.of(
                                                new CorpusDocument(
                                                        "acme",
                                                        "published",
                                                        "Published",
                                                        "Sent by the produce command.",
                                                        null)));
                                int documents = corpus.size() + 1;
                                awaitDocuments(documents);

                                List<ConsumerRecord<byte[], byte[]>> letters =
                                        TestServices.readTopic(services.dlqTopic, 1, WAIT, broker);
                                assertThat(letters).hasSize(1);
                                assertThat(
                                                JSON.readTree(letters.get(0).value())
                                                        .get("reason")
                                                        .asText())
                                        .isEqualTo("MALFORMED_JSON");
                                List<ConsumerRecord<byte[], byte[]>> statuses =
                                        TestServices.readTopic(
                                                services.statusTopic, documents, WAIT, broker);
                                assertThat(statuses).hasSizeGreaterThanOrEqualTo(documents);
                                letters.forEach(
                                        r ->
                                                written.add(
                                                        new String(
                                                                r.value(),
                                                                StandardCharsets.UTF_8)));
                                statuses.forEach(
                                        r ->
                                                written.add(
                                                        new String(
                                                                r.value(),
                                                                StandardCharsets.UTF_8)));

                                String jobConfig = job.rest("/config");
                                assertThat(jobConfig)
                                        .as("the job's configuration page")
                                        .contains("execution-config");
                                written.add(jobConfig);
                                await("the failure in the exception history")
                                        .atMost(WAIT)
                                        .until(
                                                () ->
                                                        job.restJson("/exceptions")
                                                                        .get("exceptionHistory")
                                                                        .get("entries")
                                                                        .size()
                                                                > 0);
                                for (String path :
                                        List.of(
                                                "",
                                                "/exceptions",
                                                "/checkpoints/config",
                                                "/jobmanager/config")) {
                                    written.add(job.rest(path));
                                }
                                written.add(IT.rest("/jobmanager/config"));
                                written.add(IT.rest("/taskmanagers"));
                            } finally {
                                job.cancel();
                            }
                        });

        for (LogEvent event : logs) {
            written.add(
                    event.getLoggerName()
                            + " "
                            + event.getMessage().getFormattedMessage()
                            + stackTrace(event.getThrown()));
        }
        assertThat(logs)
                .as("what the Kafka clients logged of their settings")
                .anyMatch(
                        e ->
                                e.getMessage()
                                        .getFormattedMessage()
                                        .contains("sasl.jaas.config = [hidden]"));
        for (String secret : secrets) {
            assertThat(secret).hasSizeGreaterThan(8);
            assertThat(written)
                    .as("everything the job wrote")
                    .noneMatch(text -> text.contains(secret));
        }
    }

    @Test
    void aWrongPasswordOrAnUntrustedBrokerStopsTheJobBeforeItStartsNamingTheSetting()
            throws Exception {
        broker = TestServices.saslSslClient();
        String wrong = "wrong-" + UUID.randomUUID();
        String jaas =
                broker.getProperty("sasl.jaas.config")
                        .replace(jaasPassword(broker.getProperty("sasl.jaas.config")), wrong);
        createRole();
        RagstreamConfig config = securedConfig(jaas);

        long start = System.nanoTime();
        assertThatThrownBy(() -> IT.start(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.sasl.jaas.config'")
                .hasMessageNotContaining(wrong);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThatThrownBy(
                        () ->
                                CorpusPublisher.publish(
                                        config,
                                        services.documentsTopic,
                                        List.of(
                                                new CorpusDocument(
                                                        "acme", "d", "t", "text", null))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.sasl.jaas.config'");

        // the right password, but no truststore: the JDK's CAs do not know the local one
        Map<String, String> env =
                Map.of(
                        "KAFKA_JAAS",
                        broker.getProperty("sasl.jaas.config"),
                        "PG_SECRET",
                        pgPassword);
        RagstreamConfig untrusting =
                services.config(
                        env,
                        "kafka.bootstrap-servers=" + broker.getProperty("bootstrap.servers"),
                        "kafka.properties.security.protocol=SASL_SSL",
                        "kafka.properties.sasl.mechanism=SCRAM-SHA-512",
                        "kafka.properties.sasl.jaas.config=${KAFKA_JAAS}");
        assertThatThrownBy(() -> IT.start(untrusting))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.ssl.truststore.location'");
    }

    private void awaitDocuments(int documents) throws Exception {
        awaitDocuments(documents, () -> {});
    }

    /** Until the table holds that many documents; {@code stillRunning} fails the wait early. */
    private void awaitDocuments(int documents, CheckedRunnable stillRunning) throws Exception {
        await(documents + " documents in " + services.documentsTable)
                .atMost(WAIT)
                .until(
                        () -> {
                            stillRunning.run();
                            try {
                                return TestServices.rows(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\"")
                                        .equals(List.of(String.valueOf(documents)));
                            } catch (SQLException e) {
                                return false; // the job has not created its tables yet
                            }
                        });
    }

    private interface CheckedRunnable {
        void run() throws Exception;
    }

    @Test
    void theCommandLineKeepsTheSecretsOutOfItsOutputAndLogs(@TempDir Path home) throws Exception {
        broker = TestServices.saslSslClient();
        createRole();
        RagstreamConfig config = securedConfig(broker.getProperty("sasl.jaas.config"));
        // the secrets in the configuration file as ${...} references; the rest as --set arguments
        Path yaml = home.resolve("job.yaml");
        Files.writeString(
                yaml,
                String.join(
                        "\n",
                        "kafka:",
                        "  properties:",
                        "    sasl.jaas.config: ${KAFKA_JAAS}",
                        "    ssl.truststore.password: ${file:" + truststorePasswordFile + "}",
                        "postgres:",
                        "  password: ${PG_SECRET}",
                        ""));
        List<String> arguments = new ArrayList<>(List.of("--config", yaml.toString()));
        List<String> settings = services.jobArguments(securedSettings().toArray(String[]::new));
        for (int i = 0; i < settings.size(); i += 2) { // --set key=value pairs
            String keyValue = settings.get(i + 1);
            if (!Secrets.isSecretKey(keyValue.substring(0, keyValue.indexOf('=')))) {
                arguments.addAll(settings.subList(i, i + 2));
            }
        }
        try (JobProcess job = new JobProcess(home, arguments, "")) {
            job.withEnvironment(
                    Map.of(
                            "KAFKA_JAAS",
                            broker.getProperty("sasl.jaas.config"),
                            "PG_SECRET",
                            pgPassword));
            job.start();
            CorpusPublisher.publish(
                    config,
                    services.documentsTopic,
                    List.of(
                            new CorpusDocument(
                                    "acme",
                                    "from-cli",
                                    "From the CLI",
                                    "Indexed by bin/ragstream run.",
                                    null)));
            awaitDocuments(
                    1,
                    () ->
                            assertThat(job.isAlive())
                                    .as("bin/ragstream run: %s", job.output())
                                    .isTrue());
        }

        List<Path> files;
        try (var walk = Files.walk(home)) {
            files = walk.filter(Files::isRegularFile).filter(f -> !f.equals(yaml)).toList();
        }
        assertThat(files)
                .as("the run's output and log")
                .anyMatch(f -> f.getFileName().toString().equals("ragstream.log"));
        List<String> secrets =
                List.of(
                        jaasPassword(broker.getProperty("sasl.jaas.config")),
                        broker.getProperty("ssl.truststore.password"),
                        pgPassword);
        for (Path file : files) {
            String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                assertThat(text).as("%s", home.relativize(file)).doesNotContain(secret);
            }
        }
    }

    /**
     * The job's settings for the secured listener and PostgreSQL over TLS, secrets from the
     * environment and a file.
     */
    private RagstreamConfig securedConfig(String jaas) throws Exception {
        truststorePasswordFile =
                Files.createTempFile(
                        "truststore",
                        ".password",
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rw-------")));
        Path created = truststorePasswordFile;
        IT.onCleanup(() -> Files.deleteIfExists(created));
        Files.writeString(
                truststorePasswordFile, broker.getProperty("ssl.truststore.password") + "\n");
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_JAAS", jaas);
        env.put("PG_SECRET", pgPassword);
        List<String> settings = new ArrayList<>(securedSettings());
        settings.addAll(
                List.of(
                        "kafka.properties.sasl.jaas.config=${KAFKA_JAAS}",
                        "kafka.properties.ssl.truststore.password=${file:"
                                + truststorePasswordFile
                                + "}",
                        "postgres.password=${PG_SECRET}"));
        return services.config(env, settings.toArray(String[]::new));
    }

    /** The settings for the secured listener and PostgreSQL over TLS that are no secret. */
    private List<String> securedSettings() {
        return List.of(
                "kafka.bootstrap-servers=" + broker.getProperty("bootstrap.servers"),
                "kafka.properties.security.protocol=SASL_SSL",
                "kafka.properties.sasl.mechanism=SCRAM-SHA-512",
                "kafka.properties.ssl.truststore.type=PKCS12",
                "kafka.properties.ssl.truststore.location="
                        + broker.getProperty("ssl.truststore.location"),
                "postgres.url="
                        + TestServices.PG_URL
                        + "?sslmode=verify-full&sslrootcert="
                        + TestServices.TLS_CA.toAbsolutePath(),
                "postgres.user=" + pgRole);
    }

    /**
     * A PostgreSQL role of this test's own, so its password is one nothing else uses; dropped after
     * the test.
     */
    private void createRole() throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + pgRole + " LOGIN SUPERUSER PASSWORD '" + pgPassword + "'");
        }
        IT.onCleanup(
                () -> {
                    try (Connection c = TestServices.connect();
                            Statement st = c.createStatement()) {
                        // what it created that others use (the transaction markers) stays
                        st.execute("REASSIGN OWNED BY " + pgRole + " TO " + TestServices.PG_USER);
                        st.execute("DROP OWNED BY " + pgRole);
                        st.execute("DROP ROLE " + pgRole);
                    }
                });
    }

    private static String jaasPassword(String jaas) {
        Matcher m = Pattern.compile("password=\"([^\"]+)\"").matcher(jaas);
        assertThat(m.find()).as("a password in the listener's JAAS settings").isTrue();
        return m.group(1);
    }

    private static String stackTrace(Throwable t) {
        if (t == null) {
            return "";
        }
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
