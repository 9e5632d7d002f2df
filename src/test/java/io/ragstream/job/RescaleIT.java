package io.ragstream.job;

import io.ragstream.cluster.FlinkRest;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.PoolConfig;
import io.ragstream.testing.SessionCluster;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rescaling as an operator does it, on a real session cluster of two TaskManagers ({@code
 * bin/ragstream cluster start --taskmanagers 2}): the job, with the exactly-once sink, runs at
 * parallelism 2 with one subtask of every operator on each TaskManager, reading a documents topic
 * and a Debezium topic of four partitions each; while {@link ChaosOperations} keeps publishing
 * creates, edits, deletes, tombstones, re-creates and stale replays, it is stopped with a savepoint
 * and resumed from it at parallelism 1, then stopped again and resumed at parallelism 2, each time
 * submitted at once over the REST API as {@code cluster submit --from-savepoint} does. Afterwards
 * the tables equal {@link ChaosModel} (every document's newest version, its chunks, texts and
 * vectors, deletes as deletes: nothing lost, nothing duplicated, no stale version), the status
 * topic announced each newest version and nothing never written, no dead letter was sent, no
 * prepared transaction is left, and no run failed or restarted.
 *
 * <p>Of the exactly-once sink's handling of a rescale, it exercises: one transaction prefix for the
 * pipeline at every parallelism (no transaction with it is left prepared at the end), the writer
 * state of two subtasks restored into one and of one into two, and the updates a savepoint holds
 * unwritten (the previous checkpoint's transaction was still prepared when it was taken) written
 * and committed at start, before any new input, when a savepoint caught some (it prints how often).
 * A stop with a savepoint commits the last transaction before the job ends, so subtask 0 finds
 * leftovers to finish only after a failure: {@code TransactionalWriterIT} and {@link ChaosIT} cover
 * that path.
 */
class RescaleIT {
    /**
     * Input at a steady pace on 80 documents: at least 900 operations (36 s), and on while the job
     * is stopped and resumed, until each run has had {@link #AFTER_RESUME} of them.
     */
    private static final ChaosScale SCALE =
            new ChaosScale("rescale", 900, 80, 0, Duration.ofMillis(40), Duration.ofSeconds(120));

    /** Operations (6 s) each run gets before it is stopped or the input ends. */
    private static final int AFTER_RESUME = 150;

    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int PARTITIONS = 4;

    /** How many operations to publish; the test lowers it once it knows. */
    private final AtomicInteger publishUntil = new AtomicInteger();

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void rescalesFromTwoToOneToTwoTaskManagersThroughSavepointsLosingNothing() throws Exception {
        TestServices services = new TestServices("rescale");
        String cdcTopic = services.documentsTopic + ".cdc";
        Path home =
                Files.createDirectories(Path.of("target", "rescale", services.name))
                        .toAbsolutePath();
        try (services;
                SessionCluster cluster = SessionCluster.start(services.name, 2);
                EmbeddingServer embeddings =
                        EmbeddingServer.start(
                                EmbeddingServerOptions.defaults()
                                        .withModel(ModelKind.SYNTHETIC)
                                        .withLatency(Duration.ofMillis(5), Duration.ofMillis(1)))) {
            try {
                rescaleTwiceWhileInputArrives(services, cdcTopic, home, cluster, embeddings);
            } finally {
                publishUntil.set(0); // a failed test publishes no more
            }
        }
    }

    private void rescaleTwiceWhileInputArrives(
            TestServices services,
            String cdcTopic,
            Path home,
            SessionCluster cluster,
            EmbeddingServer embeddings)
            throws Exception {
        long seed = ChaosScale.seedFromSystemProperties();
        System.out.printf("rescale: seed %d (-Dragstream.chaos.seed=%d replays it)%n", seed, seed);
        services.createTopics(PARTITIONS, services.documentsTopic, cdcTopic);
        services.createTopics(1, services.dlqTopic, services.statusTopic);
        FlinkRest flink = cluster.rest();
        assertThat(cluster.ragstream(Duration.ofMinutes(1), "cluster", "status"))
                .contains("jobmanager:", "taskmanager-1:", "taskmanager-2:")
                .doesNotContain("stopped");
        Set<String> taskManagers = new TreeSet<>();
        for (JsonNode tm : flink.get("taskmanagers").path("taskmanagers")) {
            taskManagers.add(tm.path("id").asText());
        }
        assertThat(taskManagers).hasSize(2);

        Path pool = PoolConfig.write(home, embeddings);
        Path jar = FlinkRest.newestJobJar(Path.of("target").toAbsolutePath());
        // job id → the parallelism it ran at
        Map<String, Integer> runs = new LinkedHashMap<>();
        String job = flink.submit(jar, arguments(services, pool, cdcTopic), null, 2, WAIT);
        runs.put(job, 2);
        assertRunsOn(flink, job, 2, taskManagers);

        ChaosOperations operations =
                new ChaosOperations(
                        SCALE,
                        services.documentsTopic,
                        cdcTopic,
                        new Random(seed),
                        home.resolve("operations.txt"));
        // input keeps arriving until the last resumed run has had its share (or the test
        // failed)
        publishUntil.set(Integer.MAX_VALUE);
        CompletableFuture<ChaosModel> published =
                CompletableFuture.supplyAsync(
                        () -> operations.publish(() -> operations.sent() < publishUntil.get()));
        TestServices.await(
                "the first rows",
                WAIT,
                () -> rows("SELECT count(*) FROM \"" + services.chunksTable + "\"") > 0);

        List<String> steps = new ArrayList<>();
        int resumedAt = operations.sent();
        int[] rescaleTo = {1, 2};
        for (int i = 0; i < rescaleTo.length; i++) {
            // a share of the input, and at least AFTER_RESUME operations for the running job
            int due =
                    Math.max(
                            SCALE.operations() * (i + 1) / (rescaleTo.length + 1),
                            resumedAt + AFTER_RESUME);
            while (operations.sent() < due) {
                assertThat(published).as("publishing").isNotDone();
                Thread.sleep(100);
            }
            Instant start = Instant.now();
            int stoppedAt = operations.sent();
            int from = runs.get(job);
            String savepoint = flink.stopWithSavepoint(job, cluster.savepoints(), WAIT);
            // at once, as `cluster submit --from-savepoint` after `cluster stop-job
            // --savepoint` does: the stopped job may still be committing its last transaction
            job =
                    flink.submit(
                            jar,
                            arguments(services, pool, cdcTopic),
                            savepoint,
                            rescaleTo[i],
                            WAIT);
            runs.put(job, rescaleTo[i]);
            resumedAt = operations.sent();
            assertRunsOn(flink, job, rescaleTo[i], taskManagers);
            steps.add(
                    String.format(
                            "%d → %d: stopped at operation %d, resumed at %d (%.1f s)",
                            from,
                            rescaleTo[i],
                            stoppedAt,
                            resumedAt,
                            Duration.between(start, Instant.now()).toMillis() / 1e3));
        }
        publishUntil.set(Math.max(SCALE.operations(), resumedAt + AFTER_RESUME));
        System.out.println("rescale: " + String.join("; ", steps));

        ChaosModel model = published.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        String mismatch = null;
        for (Instant deadline = Instant.now().plus(SCALE.settle());
                Instant.now().isBefore(deadline);
                Thread.sleep(1_000)) {
            mismatch =
                    model.tableMismatch(
                            TestServices::connect, services.documentsTable, services.chunksTable);
            if (mismatch == null) {
                break;
            }
        }
        System.out.printf(
                "rescale: %d operations on %d documents (%s)%n",
                operations.sent(), model.documents(), operations.kinds());
        assertThat(mismatch)
                .as("the first difference from the model (operations: %s)", home)
                .isNull();
        assertThat(
                        rows(
                                "SELECT count(*) FROM (SELECT doc_id FROM \""
                                        + services.chunksTable
                                        + "\" GROUP BY doc_id HAVING max(chunk_no) <> count(*) - 1) gaps"))
                .as("documents with gaps in their chunk numbers")
                .isZero();
        assertThat(model.statusMismatch(services.statusTopic)).as("status topic").isNull();
        assertThat(TestServices.readTopic(services.dlqTopic, 1, Duration.ofSeconds(3)))
                .as("dead letters")
                .isEmpty();
        TestServices.await(
                "no transaction of this sink left prepared",
                Duration.ofSeconds(30),
                () ->
                        rows(
                                        "SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '"
                                                + services.chunksTable
                                                + "-')")
                                == 0);
        for (Map.Entry<String, Integer> run : runs.entrySet()) {
            JsonNode exceptions =
                    flink.get("jobs/" + run.getKey() + "/exceptions")
                            .path("exceptionHistory")
                            .path("entries");
            assertThat(exceptions)
                    .as("failures of the run at parallelism %d (%s)", run.getValue(), run)
                    .isEmpty();
        }
        assertThat(runs.values()).containsExactly(2, 1, 2);
        flink.cancel(job);
        // which of the sink's restore paths this run took (they depend on the savepoints' timing)
        System.out.printf(
                "rescale: the sink wrote updates restored from a savepoint %d times, and finished"
                        + " transactions an earlier run left prepared %d times%n",
                taskManagerLogLines(cluster, "updates restored from the checkpoint"),
                taskManagerLogLines(cluster, "left prepared by an earlier run"));
    }

    /**
     * The job's arguments: this test's topics and tables, the exactly-once sink; no parallelism, so
     * every operator follows the one it is submitted at, as {@code flink run -p} gives it.
     */
    private static List<String> arguments(TestServices services, Path pool, String cdcTopic) {
        List<String> args = new ArrayList<>(List.of("--config", pool.toString()));
        args.addAll(
                services.jobArguments(
                        "kafka.cdc-topics=" + cdcTopic,
                        "sink.mode=exactly-once",
                        "chunk.size=" + ChaosModel.CHUNK_SIZE));
        return args;
    }

    /**
     * Every operator of the job runs at the parallelism, and at parallelism 2 on both TaskManagers
     * (one subtask each), as the REST API places them.
     */
    private static void assertRunsOn(
            FlinkRest flink, String job, int parallelism, Set<String> taskManagers)
            throws Exception {
        Set<String> used = new TreeSet<>();
        for (JsonNode vertex : flink.job(job).path("vertices")) {
            String name = vertex.path("name").asText();
            assertThat(vertex.path("parallelism").asInt()).as(name).isEqualTo(parallelism);
            Set<String> placed = new TreeSet<>();
            for (JsonNode tm :
                    flink.get(
                                    "jobs/"
                                            + job
                                            + "/vertices/"
                                            + vertex.path("id").asText()
                                            + "/taskmanagers")
                            .path("taskmanagers")) {
                placed.add(tm.path("taskmanager-id").asText());
            }
            assertThat(placed).as("TaskManagers of %s", name).hasSize(parallelism);
            used.addAll(placed);
        }
        assertThat(taskManagers).containsAll(used);
        if (parallelism == 2) {
            assertThat(used).isEqualTo(taskManagers);
        }
    }

    /** Lines of every TaskManager's log that contain {@code text}. */
    private static long taskManagerLogLines(SessionCluster cluster, String text)
            throws IOException {
        long lines = 0;
        try (Stream<Path> logs = Files.list(cluster.dir().resolve("log"))) {
            for (Path log : logs.toList()) {
                if (log.getFileName().toString().matches("taskmanager-\\d+\\.log")) {
                    try (Stream<String> content = Files.lines(log)) {
                        lines += content.filter(line -> line.contains(text)).count();
                    }
                }
            }
        }
        return lines;
    }

    private static long rows(String sql) {
        try {
            return TestServices.count(sql);
        } catch (java.sql.SQLException e) {
            return -1; // the job creates the tables once it runs
        }
    }
}
