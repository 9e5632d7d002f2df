package io.ragstream.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Kafka broker of one test's own (KRaft, one node, a temporary folder, free ports), run from the
 * jars {@code bin/ragstream services start} runs the shared one from, with settings the test
 * chooses: e.g. one that does not create topics on first use, as managed Kafka services do not.
 * Stopped through its own process, never by name.
 */
public final class PrivateKafka implements AutoCloseable {
    private static final Path LIBS =
            Path.of(System.getProperty("ragstream.it.kafka.libs", ".ragstream/kafka/libs"));
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final String PLAIN_LOGIN =
            "org.apache.kafka.common.security.plain.PlainLoginModule";

    private final Path dir;
    private final int port;
    private final int saslPort;
    private final String user;
    private final String password;
    private Process process;

    private PrivateKafka(
            Path dir, int port, int saslPort, String user, String password, Process process) {
        this.dir = dir;
        this.port = port;
        this.saslPort = saslPort;
        this.user = user;
        this.password = password;
        this.process = process;
    }

    /** A broker with these server settings on top of a single node's. */
    public static PrivateKafka start(Map<String, String> settings) throws Exception {
        return start(settings, null, null);
    }

    /**
     * A broker that authorizes by ACLs, as production brokers do: nothing is allowed without one.
     * {@link #admin()} (PLAINTEXT) is a super user and grants what the test chooses; {@code user}
     * logs in on a SASL_PLAINTEXT listener ({@link #userClient()}) and may do only what it is
     * granted.
     */
    public static PrivateKafka startWithAcls(String user, String password) throws Exception {
        return start(Map.of(), user, password);
    }

    private static PrivateKafka start(Map<String, String> settings, String user, String password)
            throws Exception {
        Path dir = Files.createTempDirectory("ragstream-kafka");
        int port = Ports.freePort();
        int controller = Ports.freePort();
        int saslPort = user == null ? -1 : Ports.freePort();
        Map<String, String> server = new LinkedHashMap<>();
        server.put("process.roles", "broker,controller");
        server.put("node.id", "1");
        server.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
        server.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        server.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        server.put("controller.listener.names", "CONTROLLER");
        server.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        server.put("inter.broker.listener.name", "PLAINTEXT");
        server.put("log.dirs", dir.resolve("data").toString());
        server.put("offsets.topic.replication.factor", "1");
        server.put("transaction.state.log.replication.factor", "1");
        server.put("transaction.state.log.min.isr", "1");
        server.put("share.coordinator.state.topic.replication.factor", "1");
        server.put("share.coordinator.state.topic.min.isr", "1");
        server.put("group.initial.rebalance.delay.ms", "0");
        if (user != null) {
            String sasl = "SASL_PLAINTEXT://127.0.0.1:" + saslPort;
            server.put("listeners", server.get("listeners") + "," + sasl);
            server.put("advertised.listeners", server.get("advertised.listeners") + "," + sasl);
            server.put(
                    "listener.security.protocol.map",
                    server.get("listener.security.protocol.map")
                            + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
            server.put("sasl.enabled.mechanisms", "PLAIN");
            server.put(
                    "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                    PLAIN_LOGIN + " required user_" + user + "=\"" + password + "\";");
            server.put(
                    "authorizer.class.name",
                    "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            server.put("super.users", "User:ANONYMOUS"); // the PLAINTEXT and controller listeners
            server.put("allow.everyone.if.no.acl.found", "false");
        }
        server.putAll(settings);
        Path properties =
                Files.writeString(
                        dir.resolve("server.properties"),
                        server.entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .collect(Collectors.joining("\n", "", "\n")));
        Path log = dir.resolve("kafka.log");
        Process format =
                kafka(
                                log,
                                "kafka.tools.StorageTool",
                                "format",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                properties.toString())
                        .start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException(
                    "formatting the broker's storage failed: " + Files.readString(log));
        }
        PrivateKafka broker =
                new PrivateKafka(
                        dir,
                        port,
                        saslPort,
                        user,
                        password,
                        kafka(log, "kafka.Kafka", properties.toString()).start());
        broker.awaitReady(log);
        return broker;
    }

    private static ProcessBuilder kafka(Path log, String mainClass, String... args) {
        List<String> command =
                Stream.concat(
                                Stream.of(
                                        Path.of(System.getProperty("java.home"), "bin", "java")
                                                .toString(),
                                        "-Xmx384m",
                                        "-cp",
                                        LIBS.toAbsolutePath() + "/*",
                                        mainClass),
                                Stream.of(args))
                        .toList();
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    private void awaitReady(Path log) throws Exception {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        try (Admin admin = admin()) {
            while (true) {
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception notYet) {
                    if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                        String output = Files.readString(log);
                        close();
                        throw new IllegalStateException(
                                "the broker did not start: " + output, notYet);
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * Stops the broker, as a rolling restart does; {@code hard}: as a crash does, kill -9, so that
     * it recovers its logs at {@link #startAgain}.
     */
    public void stop(boolean hard) throws Exception {
        if (hard) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts it again on the same ports and data after {@link #stop}. */
    public void startAgain() throws Exception {
        Path log = dir.resolve("kafka.log");
        process = kafka(log, "kafka.Kafka", dir.resolve("server.properties").toString()).start();
        awaitReady(log);
    }

    /** The SASL_PLAINTEXT listener of {@link #startWithAcls}. */
    public String saslBootstrapServers() {
        return "127.0.0.1:" + saslPort;
    }

    /** A client's settings as {@link #startWithAcls}'s user, without the brokers. */
    public Map<String, String> userClient() {
        return Map.of(
                "security.protocol",
                "SASL_PLAINTEXT",
                "sasl.mechanism",
                "PLAIN",
                "sasl.jaas.config",
                PLAIN_LOGIN + " required username=\"" + user + "\" password=\"" + password + "\";");
    }

    public Admin admin() {
        return Admin.create(
                Map.<String, Object>of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    @Override
    public void close() throws Exception {
        try {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
