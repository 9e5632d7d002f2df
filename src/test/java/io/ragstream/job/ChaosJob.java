package io.ragstream.job;

import io.ragstream.cluster.ClusterException;
import io.ragstream.cluster.FlinkRest;
import io.ragstream.testing.JobProcess;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One pipeline of {@link ChaosIT}: a job run as its own process ({@code bin/ragstream run}) over
 * its own tables and status topic, which the test kills, resumes, and stops with a savepoint to
 * resume at another parallelism; and what it saw of the job's memory through the Flink REST API.
 */
final class ChaosJob implements AutoCloseable {
    private static final Duration START = Duration.ofMinutes(3);
    private static final String BUFFERED_BYTES = "bufferedBytes";
    private static final String HEAP_USED = "Status.JVM.Memory.Heap.Used";
    private static final String HEAP_MAX = "Status.JVM.Memory.Heap.Max";

    final String name;
    final String mode;
    final TestServices services;
    private final JobProcess process;
    private int parallelism;
    private int rescales;

    /** What a resume after kill -9 printed when it did not resume from a checkpoint. */
    private final List<String> statelessResumes = new ArrayList<>();

    // the largest values seen by sampleMemory(); -1 while none was
    private volatile long maxBufferedBytes = -1;
    private volatile long maxHeapUsed = -1;
    private volatile long heapMax = -1;
    private volatile int memorySamples;

    ChaosJob(String name, String mode, TestServices services, JobProcess process, int parallelism) {
        this.name = name;
        this.mode = mode;
        this.services = services;
        this.process = process;
        this.parallelism = parallelism;
    }

    void start() throws Exception {
        process.start(List.of("--set", "job.parallelism=" + parallelism));
        awaitRunning();
    }

    /**
     * Kills the process as a lost machine would, and starts it again: it resumes from its newest
     * checkpoint.
     */
    String killAndResume() throws Exception {
        process.kill();
        start();
        String resumed =
                process.output()
                        .lines()
                        .filter(line -> line.startsWith("resuming "))
                        .findFirst()
                        .orElse(null);
        if (resumed == null) {
            // a job that had state must get it back: without it, replays are not harmless
            statelessResumes.add(process.output().lines().findFirst().orElse("(nothing printed)"));
            return "resumed at parallelism " + parallelism + " WITHOUT ITS STATE";
        }
        return "resumed at parallelism "
                + parallelism
                + " from "
                + Path.of(resumed.substring(resumed.lastIndexOf(' ') + 1)).getFileName();
    }

    /** Resumes after kill -9 that found no checkpoint to resume from: what they printed. */
    List<String> statelessResumes() {
        return List.copyOf(statelessResumes);
    }

    /**
     * Stops the job with a savepoint and resumes it from there at the other parallelism (1 → 2, 2 →
     * 1), as an operator rescales a job.
     */
    String rescale() throws Exception {
        String savepoint = stopWithSavepoint();
        int from = parallelism;
        parallelism = from == 1 ? 2 : 1;
        rescales++;
        process.start(
                List.of("--from-checkpoint", savepoint, "--set", "job.parallelism=" + parallelism));
        awaitRunning();
        return from
                + " → "
                + parallelism
                + " from "
                + Path.of(savepoint.replaceFirst("^file:", "")).getFileName();
    }

    private String stopWithSavepoint() throws Exception {
        Path savepoints = Files.createDirectories(process.home().resolve("savepoints"));
        for (int attempt = 1; ; attempt++) {
            awaitRunning();
            String jobId = runningJobId();
            try {
                String savepoint =
                        process.rest()
                                .stopWithSavepoint(jobId, savepoints.toUri().toString(), START);
                if (!process.awaitExit(Duration.ofMinutes(1))) {
                    process.kill(); // the job is stopped; only the process lingers
                }
                return savepoint;
            } catch (IOException | ClusterException e) {
                if (e.getMessage() != null && e.getMessage().contains("did not complete within")) {
                    recordStall(jobId, attempt);
                }
                // A local run ends with its job: once the job stopped, its REST API may be gone
                // before it told where the savepoint is. A job stops only once its savepoint is
                // complete, so the process's end says it is there.
                if (process.awaitExit(Duration.ofSeconds(20))) {
                    return completedSavepoint(savepoints, jobId)
                            .orElseThrow(
                                    () ->
                                            new AssertionError(
                                                    name
                                                            + " job ended while stopping with a savepoint, and left none: see "
                                                            + process.home(),
                                                    e));
                }
                // else a task failed while the savepoint was taken, and the job carries on: try
                // again
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /**
     * What a savepoint that neither completed nor failed leaves to look at (it happened once in
     * ChaosIT, after a rescale, and could not be explained afterwards): the job's threads, and its
     * checkpoints with each task's acknowledgements, which say which task held the barrier.
     */
    private void recordStall(String jobId, int attempt) {
        String stem = "stalled-savepoint-" + attempt;
        try {
            Path threads = process.threadDump(stem + "-threads.txt");
            JsonNode checkpoints = process.rest().get("jobs/" + jobId + "/checkpoints");
            StringBuilder details = new StringBuilder(checkpoints.toPrettyString()).append('\n');
            for (JsonNode checkpoint : checkpoints.path("history")) {
                if (checkpoint.path("status").asText().equals("IN_PROGRESS")) {
                    details.append(
                                    process.rest()
                                            .get(
                                                    "jobs/"
                                                            + jobId
                                                            + "/checkpoints/details/"
                                                            + checkpoint.path("id").asLong())
                                            .toPrettyString())
                            .append('\n');
                }
            }
            Path file = process.home().resolve(stem + "-checkpoints.json");
            Files.writeString(file, details);
            System.out.println(
                    name
                            + " job: a savepoint stalled; its threads are in "
                            + threads
                            + ", its checkpoints in "
                            + file);
        } catch (Exception e) { // a diagnosis, not the test: what it could not take is said
            System.out.println(
                    name + " job: a savepoint stalled, and its state could not be taken: " + e);
        }
    }

    /** The savepoint folder of this job that holds its metadata. */
    private static Optional<String> completedSavepoint(Path savepoints, String jobId)
            throws IOException {
        try (Stream<Path> folders = Files.list(savepoints)) {
            return folders.filter(
                            p ->
                                    p.getFileName()
                                            .toString()
                                            .startsWith("savepoint-" + jobId.substring(0, 6)))
                    .filter(p -> Files.exists(p.resolve("_metadata")))
                    .map(Path::toString)
                    .findFirst();
        }
    }

    /** Waits until the job and all its tasks run; fails at once if the process ended. */
    void awaitRunning() throws Exception {
        Instant deadline = Instant.now().plus(START);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " job process ended: see " + process.home());
            }
            try {
                JsonNode job = process.rest().job(runningJobId());
                boolean running = job.path("state").asText().equals("RUNNING");
                for (JsonNode vertex : job.path("vertices")) {
                    running &= vertex.path("status").asText().equals("RUNNING");
                }
                if (running) {
                    return;
                }
            } catch (IOException | ClusterException | IllegalStateException e) {
                // the web UI is not up yet, or the job not submitted
            }
            Thread.sleep(250);
        }
        throw new AssertionError(
                name + " job not running after " + START + ": see " + process.home());
    }

    private String runningJobId() throws IOException, InterruptedException {
        List<String> jobs = process.rest().activeJobs();
        if (jobs.size() != 1) {
            throw new IllegalStateException(jobs.size() + " active jobs");
        }
        return jobs.get(0);
    }

    /**
     * Cuts the sink's database sessions (and with them its open transaction): the sink task fails.
     */
    long killSinkSessions(PrivatePostgres pg) throws InterruptedException {
        // right after a restart the sink may not have connected yet
        for (int tries = 0; tries < 100; tries++) {
            long killed =
                    ChaosModel.count(
                            pg,
                            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                                    + " WHERE application_name = '"
                                    + sinkApplicationName()
                                    + "'");
            if (killed > 0) {
                return killed;
            }
            Thread.sleep(200);
        }
        return 0;
    }

    /**
     * Kills the sink's sessions until the job restarts: a session that was about to be closed
     * anyway (a setup connection, one a resumed job is replacing) fails no task.
     */
    String failTask(PrivatePostgres pg) throws Exception {
        long before = restarts();
        long killed = 0;
        for (int round = 0; round < 6 && restarts() == before; round++) {
            killed += killSinkSessions(pg);
            for (int wait = 0; wait < 50 && restarts() == before; wait++) {
                Thread.sleep(200);
            }
        }
        return killed
                + " sink sessions killed"
                + (restarts() > before ? "" : ", and no task failed");
    }

    /** Whether a sink session of this job is inside a transaction right now. */
    boolean sinkInTransaction(PrivatePostgres pg) {
        return ChaosModel.count(
                        pg,
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                                + sinkApplicationName()
                                + "' AND xact_start IS NOT NULL")
                > 0;
    }

    private String sinkApplicationName() {
        return "ragstream:" + services.chunksTable;
    }

    /**
     * One sample of the job's memory through the REST API: the sink's {@code bufferedBytes} gauge
     * (its largest subtask), and the TaskManager's heap. Nothing while the job restarts.
     */
    void sampleMemory() {
        try {
            FlinkRest rest = process.rest();
            String jobId = runningJobId();
            for (JsonNode vertex : rest.job(jobId).path("vertices")) {
                String path =
                        "jobs/"
                                + jobId
                                + "/vertices/"
                                + vertex.path("id").asText()
                                + "/subtasks/metrics";
                List<String> names = new ArrayList<>();
                for (JsonNode metric : rest.get(path)) {
                    if (metric.path("id").asText().endsWith("." + BUFFERED_BYTES)) {
                        names.add(metric.path("id").asText());
                    }
                }
                if (!names.isEmpty()) {
                    for (JsonNode metric :
                            rest.get(
                                    path
                                            + "?agg=max&get="
                                            + URLEncoder.encode(
                                                    String.join(",", names),
                                                    StandardCharsets.UTF_8))) {
                        maxBufferedBytes = Math.max(maxBufferedBytes, metric.path("max").asLong());
                    }
                }
            }
            for (JsonNode tm : rest.get("taskmanagers").path("taskmanagers")) {
                for (JsonNode metric :
                        rest.get(
                                "taskmanagers/"
                                        + tm.path("id").asText()
                                        + "/metrics?get="
                                        + HEAP_USED
                                        + ","
                                        + HEAP_MAX)) {
                    long value = metric.path("value").asLong();
                    if (metric.path("id").asText().equals(HEAP_USED)) {
                        maxHeapUsed = Math.max(maxHeapUsed, value);
                    } else {
                        heapMax = value;
                    }
                }
            }
            memorySamples++;
        } catch (IOException | ClusterException | IllegalStateException e) {
            // restarting, stopping, or between two processes: the next sample will do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long maxBufferedBytes() {
        return maxBufferedBytes;
    }

    long maxHeapUsed() {
        return maxHeapUsed;
    }

    long heapMax() {
        return heapMax;
    }

    int memorySamples() {
        return memorySamples;
    }

    int parallelism() {
        return parallelism;
    }

    int rescales() {
        return rescales;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path home() {
        return process.home();
    }

    /** Times the job restarted after a task failed (all its runs). */
    long restarts() throws IOException {
        return process.logLines("switched from state RUNNING to RESTARTING");
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
