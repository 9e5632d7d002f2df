package io.ragstream.testing;

import io.ragstream.cluster.FlinkRest;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/ragstream run ...} in a JVM of its own, as a user runs the job: killing it is losing
 * the whole job process, and starting it again resumes from its pipeline's newest retained
 * checkpoint under {@code home/.ragstream/checkpoints} (or {@code checkpoint.dir}). Each start's
 * output is in {@code home/job-N.out}. The home folder gets a copy of the project's {@code
 * flink-conf/}, with the web UI (and the REST API, {@link #rest()}) on a free port and the given
 * overrides.
 */
public final class JobProcess implements AutoCloseable {
    private static final Path PROJECT = Path.of(System.getProperty("user.dir"));

    private final Path home;
    private final List<String> arguments;
    private final int restPort;
    private final Map<String, String> environment = new HashMap<>();
    private Process process;
    private int starts;

    /** {@code arguments}: what follows {@code run} on the command line. */
    public JobProcess(Path home, List<String> arguments, String flinkConfOverrides)
            throws IOException {
        this.home = home;
        this.arguments = List.copyOf(arguments);
        this.restPort = Ports.freePort();
        Path conf = Files.createDirectories(home.resolve("flink-conf"));
        String yaml =
                Files.readString(PROJECT.resolve("flink-conf/config.yaml"))
                        .replace("port: 8081", "port: " + restPort);
        Files.writeString(
                conf.resolve("config.yaml"), yaml + "\n# the test's own\n" + flinkConfOverrides);
    }

    /** Variables the process gets beside this JVM's, e.g. the secrets its configuration names. */
    public JobProcess withEnvironment(Map<String, String> variables) {
        environment.putAll(variables);
        return this;
    }

    public void start() throws IOException {
        start(List.of());
    }

    /**
     * Starts it with {@code extraArguments} after the constructor's, e.g. {@code --from-checkpoint
     * PATH}.
     */
    public void start(List<String> extraArguments) throws IOException {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx1g"));
        command.addAll(javaOpens());
        command.addAll(
                List.of(
                        "-Dragstream.home=" + home,
                        "-Dragstream.log.dir=" + home.resolve("logs"),
                        // Flink's temporary files (its RPC jar alone is 21 MB) stay behind after a
                        // kill -9: under target/, not in /tmp
                        "-Djava.io.tmpdir=" + Files.createDirectories(home.resolve("tmp")),
                        "-Dlog4j2.configurationFile="
                                + PROJECT.resolve("flink-conf/log4j-cli.properties"),
                        "-cp",
                        classpath(),
                        "io.ragstream.cli.RagstreamCli",
                        "run"));
        command.addAll(arguments);
        command.addAll(extraArguments);
        Path out = home.resolve("job-" + (++starts) + ".out");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().putAll(environment);
        process = builder.start();
    }

    /**
     * As the OOM killer or a lost machine would: no shutdown hook, no cancel, no final checkpoint.
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Waits for the process to end by itself (a job stopped with a savepoint ends its run); false
     * when time is up.
     */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process == null || process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** What the newest start printed so far (what it resumed from, among others). */
    public String output() throws IOException {
        return starts == 0 ? "" : Files.readString(home.resolve("job-" + starts + ".out"));
    }

    /** The job's Flink REST API (the web UI's port), while the process runs. */
    public FlinkRest rest() {
        return new FlinkRest(URI.create("http://127.0.0.1:" + restPort));
    }

    public Path home() {
        return home;
    }

    /** Lines of the job's log (all its runs) that contain {@code text}. */
    public long logLines(String text) throws IOException {
        try (var lines = Files.lines(home.resolve("logs/ragstream.log"))) {
            return lines.filter(line -> line.contains(text)).count();
        }
    }

    /**
     * The job process's threads, as {@code jcmd Thread.print} prints them, written to {@code name}
     * in its home; a failure to take them is written there instead.
     */
    public Path threadDump(String name) throws IOException, InterruptedException {
        Path file = home.resolve(name);
        if (!isAlive()) {
            Files.writeString(file, "the process had ended\n");
            return file;
        }
        Process jcmd =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                                Long.toString(process.pid()),
                                "Thread.print")
                        .redirectErrorStream(true)
                        .redirectOutput(file.toFile())
                        .start();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
            jcmd.destroyForcibly();
        }
        return file;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy(); // the CLI's shutdown hook cancels the job
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** The Java 17 module openings Flink needs: the list flink-conf gives its own JVMs. */
    private static List<String> javaOpens() throws IOException {
        for (String line : Files.readAllLines(PROJECT.resolve("flink-conf/config.yaml"))) {
            String trimmed = line.trim();
            if (trimmed.startsWith("all:") && trimmed.contains("--add-opens")) {
                return Arrays.asList(trimmed.substring("all:".length()).trim().split("\\s+"));
            }
        }
        throw new IOException("flink-conf/config.yaml has no env.java.opts.all");
    }

    /** What bin/ragstream puts on the CLI's classpath, from the build's own lists. */
    private static String classpath() throws IOException {
        return PROJECT.resolve("target/classes")
                + ":"
                + Files.readString(PROJECT.resolve("target/classpath.txt")).trim()
                + ":"
                + Files.readString(PROJECT.resolve("target/classpath-runtime.txt")).trim();
    }
}
