package io.ragstream.testing;

import io.ragstream.cluster.FlinkRest;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.ragstream.testing.Ports.freePort;

/**
 * A Flink session cluster as a user starts it, {@code bin/ragstream cluster start [--taskmanagers
 * N]}, with a folder ({@code target/cluster-it/<name>}) and ports of its own, so a user's cluster
 * or another test's on this machine is not disturbed. {@link #close} stops it by pid through {@code
 * bin/ragstream cluster stop}, and so does a shutdown hook if the test JVM is killed first.
 */
public final class SessionCluster implements AutoCloseable {
    private static final Path ROOT = Path.of("").toAbsolutePath();

    /** Prometheus ports of the cluster's range: one per JVM, the first free one each. */
    public static final int METRICS_PORTS = 10;

    private final Path dir;
    private final Map<String, String> env;
    private final int metricsFrom;
    private final FlinkRest rest;
    private final Thread stopOnExit;

    private SessionCluster(String name) throws Exception {
        dir = ROOT.resolve("target/cluster-it/" + name);
        int restPort = freePort();
        metricsFrom = freePort();
        env =
                Map.of(
                        "RAGSTREAM_CLUSTER_DIR",
                        dir.toString(),
                        "RAGSTREAM_CLUSTER_PORT",
                        Integer.toString(restPort),
                        "RAGSTREAM_CLUSTER_RPC_PORT",
                        Integer.toString(freePort()),
                        "RAGSTREAM_CLUSTER_METRICS_PORTS",
                        metricsFrom + "-" + (metricsFrom + METRICS_PORTS - 1));
        rest = new FlinkRest(URI.create("http://127.0.0.1:" + restPort));
        stopOnExit = new Thread(this::stopQuietly, "stop-cluster-" + name);
    }

    /** Starts a cluster of {@code taskManagers} TaskManagers; returns once all registered. */
    public static SessionCluster start(String name, int taskManagers) throws Exception {
        SessionCluster cluster = new SessionCluster(name);
        // a test JVM that is killed still takes its cluster down
        Runtime.getRuntime().addShutdownHook(cluster.stopOnExit);
        cluster.ragstream(
                Duration.ofMinutes(3),
                "cluster",
                "start",
                "--taskmanagers",
                Integer.toString(taskManagers));
        return cluster;
    }

    /** Its REST API. */
    public FlinkRest rest() {
        return rest;
    }

    /** Its folder: log/, checkpoints/, savepoints/, the launcher's output. */
    public Path dir() {
        return dir;
    }

    /** The first port of its Prometheus range ({@link #METRICS_PORTS} ports). */
    public int metricsFrom() {
        return metricsFrom;
    }

    /**
     * Where {@code stop-job --savepoint} puts savepoints by default, as a URI the cluster reads.
     */
    public String savepoints() {
        return dir.resolve("savepoints").toUri().toString();
    }

    @Override
    public void close() throws Exception {
        ragstream(Duration.ofMinutes(1), "cluster", "stop");
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
    }

    /** bin/ragstream with this cluster's settings; fails with its output when it fails. */
    public String ragstream(Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/ragstream").toString()));
        command.addAll(List.of(args));
        Files.createDirectories(dir);
        Path output = Files.createTempFile(dir, "launcher-", ".log");
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .directory(ROOT.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(
                    "bin/ragstream "
                            + String.join(" ", args)
                            + " did not finish in "
                            + timeout
                            + ":\n"
                            + Files.readString(output));
        }
        String printed = Files.readString(output);
        if (process.exitValue() != 0) {
            throw new AssertionError(
                    "bin/ragstream "
                            + String.join(" ", args)
                            + " exited with "
                            + process.exitValue()
                            + ":\n"
                            + printed);
        }
        return printed;
    }

    private void stopQuietly() {
        try {
            ragstream(Duration.ofMinutes(1), "cluster", "stop");
        } catch (Exception | AssertionError e) {
            System.err.println("could not stop the test cluster in " + dir + ": " + e);
        }
    }
}
