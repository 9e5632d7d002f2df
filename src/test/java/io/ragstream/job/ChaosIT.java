package io.ragstream.job;

import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.job.ChaosFailure.ChaosTargets;
import io.ragstream.testing.JobProcess;
import io.ragstream.testing.PoolConfig;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TcpProxy;
import io.ragstream.testing.TestServices;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 1 under every kind of failure, for both sink modes: thousands of random document
 * operations ({@link ChaosOperations}) flow into two jobs, each run as its own process the way
 * {@code bin/ragstream run} runs it, that read the same topics into tables of their own in one
 * PostgreSQL, reached through a {@link TcpProxy}. Meanwhile the test injects failures ({@link
 * ChaosFailure}, drawn at random with a printed seed, every kind at least once): failed sink tasks,
 * kill -9 and resume, PostgreSQL crashes, cut and black-holed connections, an embedding outage,
 * stop with savepoint and resume at another parallelism, and kill -9 of the second job. Afterwards,
 * for both jobs, the tables equal the model exactly (rows, versions, texts and vectors; chunk
 * numbers contiguous), no prepared transaction is left behind, the status topic announced each
 * document's newest version and nothing that was never written, and the sink's buffer stayed under
 * its cap.
 *
 * <p>{@link ChaosScale}: CI runs the short scale; {@code -Dragstream.chaos.scale=long} (what {@code
 * bin/ragstream bench chaos} runs) the long one. {@code -Dragstream.chaos.seed=N} replays a run's
 * operations and its draw of failures (not their timing). When a check fails, each job's folder
 * under {@code target/chaos/} holds its logs, checkpoints and savepoints, and the main job's holds
 * {@code operations.txt}, every record sent.
 */
class ChaosIT {
    private static final ChaosScale SCALE = ChaosScale.fromSystemProperties();

    /** The exactly-once writer's buffer cap, low enough for a slow commit to reach it. */
    private static final long MAX_BUFFERED_BYTES = 256 * 1024;

    /**
     * Tables that stopped changing for this long while they differ from the model will not catch
     * up.
     */
    private static final Duration UNCHANGED = Duration.ofMinutes(1);

    private static final Path NOTES = Path.of("target", "chaos", "summary.md");

    @ParameterizedTest(name = "sink.mode={0}")
    @ValueSource(strings = {"idempotent", "exactly-once"})
    void tablesEqualTheModelAfterEveryKindOfFailure(String mode) throws Exception {
        long seed = ChaosScale.seedFromSystemProperties();
        long started = System.nanoTime();
        System.out.printf(
                "chaos %s: scale %s, seed %d (-Dragstream.chaos.seed=%d replays it)%n",
                mode, SCALE.name(), seed, seed);
        TestServices services = new TestServices("chaos" + mode.replace("-", ""));
        TestServices secondServices = new TestServices("chaostwo" + mode.replace("-", ""));
        String cdcTopic = services.documentsTopic + ".cdc";
        services.createTopics(2, services.documentsTopic, cdcTopic);
        try (PrivatePostgres pg = PrivatePostgres.start();
                TcpProxy proxy = TcpProxy.start("127.0.0.1", pg.port());
                EmbeddingServer embeddings =
                        EmbeddingServer.start(
                                EmbeddingServerOptions.defaults()
                                        .withModel(ModelKind.SYNTHETIC)
                                        .withLatency(Duration.ofMillis(5), Duration.ofMillis(1)));
                ChaosJob job =
                        job(
                                "main",
                                services,
                                services,
                                mode,
                                proxy.proxied(pg.url()),
                                cdcTopic,
                                embeddings);
                ChaosJob second =
                        job(
                                "second",
                                secondServices,
                                services,
                                mode,
                                proxy.proxied(pg.url()),
                                cdcTopic,
                                embeddings)) {
            job.start();
            second.start();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleWithFixedDelay(
                    () -> {
                        job.sampleMemory();
                        second.sampleMemory();
                    },
                    1,
                    2,
                    TimeUnit.SECONDS);

            ChaosOperations operations =
                    new ChaosOperations(
                            SCALE,
                            services.documentsTopic,
                            cdcTopic,
                            new Random(seed),
                            job.home().resolve("operations.txt"));
            CompletableFuture<ChaosModel> published =
                    CompletableFuture.supplyAsync(operations::publish);
            TestServices.await(
                    "the first rows",
                    SCALE.settle(),
                    () -> ChaosModel.count(pg, "SELECT count(*) FROM " + services.chunksTable) > 0);
            Map<ChaosFailure, Integer> injected =
                    inject(
                            ChaosFailure.schedule(SCALE.failures(), new Random(seed + 1)),
                            new ChaosTargets(pg, proxy, embeddings, job, second),
                            operations,
                            published);

            ChaosModel model =
                    published.get(
                            SCALE.operations() * SCALE.pace().toMillis() + 300_000,
                            TimeUnit.MILLISECONDS);
            System.out.printf(
                    "chaos %s: all %d operations published (%s); waiting for the jobs to catch up%n",
                    mode, operations.sent(), new TreeMap<>(operations.kinds()));
            // every check runs, so that one failure does not hide the others; the summary comes
            // first
            SoftAssertions softly = new SoftAssertions();
            for (ChaosJob j : List.of(job, second)) {
                checkAgainstModel(softly, pg, j, model);
            }
            sampler.shutdownNow();
            softly.assertThat(awaitNoPreparedTransaction(pg))
                    .as("prepared transactions left behind")
                    .isZero();
            softly.assertThat(operations.sent()).isGreaterThanOrEqualTo(SCALE.operations());
            softly.assertThat(model.documents())
                    .as("documents touched")
                    .isEqualTo(SCALE.documents());
            softly.assertThat(injected.keySet())
                    .as("kinds of failure injected")
                    .containsExactlyInAnyOrder(ChaosFailure.values());
            softly.assertThat(job.rescales()).as("rescales (1 → 2 → 1)").isGreaterThanOrEqualTo(2);
            // the failures really failed the job
            softly.assertThat(job.restarts()).as("restarts of the main job").isPositive();

            String summary =
                    String.format(
                            "chaos %s (scale %s, seed %d): %d operations on %d documents; %d failures: %s; "
                                    + "wall time %.0f s; memory: %s; %s; %s",
                            mode,
                            SCALE.name(),
                            seed,
                            operations.sent(),
                            model.documents(),
                            injected.values().stream().mapToInt(Integer::intValue).sum(),
                            injected.entrySet().stream()
                                    .map(e -> e.getKey().description + " ×" + e.getValue())
                                    .collect(Collectors.joining(", ")),
                            (System.nanoTime() - started) / 1e9,
                            memory(job) + ", second job " + memory(second),
                            "operations by kind " + new TreeMap<>(operations.kinds()),
                            softly.errorsCollected().isEmpty()
                                    ? "every check passed"
                                    : softly.errorsCollected().size() + " checks FAILED");
            System.out.println(summary);
            Files.createDirectories(NOTES.getParent());
            Files.writeString(
                    NOTES, summary + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            softly.assertAll();
        } finally {
            services.deleteTopics(
                    services.documentsTopic,
                    cdcTopic,
                    services.dlqTopic,
                    services.statusTopic,
                    secondServices.dlqTopic,
                    secondServices.statusTopic);
        }
    }

    /**
     * A job over this test's topics into {@code own}'s tables and status topic. Its database
     * sessions time out quickly, so that a black-holed connection fails its tasks.
     */
    private static ChaosJob job(
            String name,
            TestServices own,
            TestServices topics,
            String mode,
            String postgresUrl,
            String cdcTopic,
            EmbeddingServer embeddings)
            throws Exception {
        // under target/, so the job's logs and checkpoints are there to read when the test fails
        Path home = Files.createDirectories(Path.of("target", "chaos", own.name)).toAbsolutePath();
        Path pool = PoolConfig.write(home, embeddings);
        List<String> arguments = new ArrayList<>(List.of("--config", pool.toString()));
        arguments.addAll(
                own.jobArguments(
                        "kafka.documents-topic=" + topics.documentsTopic,
                        "kafka.cdc-topics=" + cdcTopic,
                        "postgres.url=" + postgresUrl,
                        "sink.mode=" + mode,
                        "sink.batch-size=8",
                        "checkpoint.interval=500ms",
                        "chunk.size=" + ChaosModel.CHUNK_SIZE,
                        "embedding.batch-size=16",
                        "embedding.request-timeout=2s",
                        "postgres.connect-timeout=5s",
                        "postgres.socket-timeout=6s",
                        "sink.statement-timeout=5s",
                        "sink.max-buffered-bytes=" + MAX_BUFFERED_BYTES));
        // retries come quickly here, so that the failures fit in a test's time; metrics reach REST
        // every second
        String flinkConf =
                "restart-strategy.exponential-delay.max-backoff: 2s\nmetrics.fetcher.update-interval: 1s\n";
        return new ChaosJob(name, mode, own, new JobProcess(home, arguments, flinkConf), 1);
    }

    /**
     * Injects the failures in turn, spread over the stream (the i-th once that share of the
     * operations is out), each after both jobs run again.
     */
    private static Map<ChaosFailure, Integer> inject(
            List<ChaosFailure> schedule,
            ChaosTargets targets,
            ChaosOperations operations,
            CompletableFuture<?> published)
            throws Exception {
        Map<ChaosFailure, Integer> injected = new EnumMap<>(ChaosFailure.class);
        for (int i = 0; i < schedule.size(); i++) {
            int due = SCALE.operations() * (i + 1) / (schedule.size() + 1);
            while (operations.sent() < due && !published.isDone()) {
                Thread.sleep(100);
            }
            ChaosFailure failure = schedule.get(i);
            Instant start = Instant.now();
            String what = failure.inject(targets);
            targets.job().awaitRunning();
            targets.second().awaitRunning();
            injected.merge(failure, 1, Integer::sum);
            System.out.printf(
                    "chaos: failure %d/%d at operation %d: %s (%s); both jobs run again after %.1f s%n",
                    i + 1,
                    schedule.size(),
                    operations.sent(),
                    failure.description,
                    what,
                    Duration.between(start, Instant.now()).toMillis() / 1e3);
        }
        return injected;
    }

    /**
     * The model's comparisons for one job: its tables, its status topic, and what it kept in
     * memory.
     */
    private static void checkAgainstModel(
            SoftAssertions softly, PrivatePostgres pg, ChaosJob job, ChaosModel model)
            throws Exception {
        softly.assertThat(job.statelessResumes())
                .as(
                        "the %s job's resumes after kill -9 that found no checkpoint (see %s)",
                        job.name, job.home())
                .isEmpty();
        String documents = job.services.documentsTable;
        String chunks = job.services.chunksTable;
        // wait while the job catches up: until the settle time is up, or the tables stopped
        // changing for a minute
        Instant deadline = Instant.now().plus(SCALE.settle());
        Instant changed = Instant.now();
        String tables = "";
        String mismatch;
        while ((mismatch = model.tableMismatch(pg, documents, chunks)) != null
                && Instant.now().isBefore(deadline)
                && Instant.now().isBefore(changed.plus(UNCHANGED))) {
            assertThat(job.isAlive())
                    .as("the %s job process runs (see %s)", job.name, job.home())
                    .isTrue();
            Thread.sleep(2_000);
            String now = ChaosModel.fingerprint(pg, documents, chunks);
            if (!now.equals(tables)) {
                tables = now;
                changed = Instant.now();
            }
        }
        softly.assertThat(mismatch)
                .as("the %s job's first difference from the model (see %s)", job.name, job.home())
                .isNull();
        softly.assertThat(
                        ChaosModel.count(
                                pg,
                                "SELECT count(*) FROM (SELECT doc_id FROM "
                                        + chunks
                                        + " GROUP BY doc_id HAVING max(chunk_no) <> count(*) - 1) gaps"))
                .as("%s job: documents with gaps", job.name)
                .isZero();
        softly.assertThat(model.statusMismatch(job.services.statusTopic))
                .as("%s job: status topic", job.name)
                .isNull();
        softly.assertThat(job.isAlive()).as("the %s job process still runs", job.name).isTrue();
        softly.assertThat(job.memorySamples()).as("%s job: memory samples", job.name).isPositive();
        softly.assertThat(job.maxHeapUsed())
                .as("%s job: heap used", job.name)
                .isPositive()
                .isLessThan(job.heapMax());
        if (job.mode.equals("exactly-once")) {
            // the writer stops taking input before an update would take it past the cap
            softly.assertThat(job.maxBufferedBytes())
                    .as("%s job: the exactly-once sink's bufferedBytes", job.name)
                    .isBetween(0L, MAX_BUFFERED_BYTES);
        }
    }

    /**
     * Prepared transactions still there after a while: a commit in flight may take a moment, a
     * leftover stays.
     */
    private static long awaitNoPreparedTransaction(PrivatePostgres pg) throws InterruptedException {
        long prepared = -1;
        for (Instant deadline = Instant.now().plusSeconds(30);
                Instant.now().isBefore(deadline);
                Thread.sleep(500)) {
            if ((prepared = ChaosModel.count(pg, "SELECT count(*) FROM pg_prepared_xacts")) == 0) {
                return 0;
            }
        }
        return prepared;
    }

    private static String memory(ChaosJob job) {
        return "bufferedBytes max "
                + (job.maxBufferedBytes() < 0 ? "not reported" : job.maxBufferedBytes() + " B")
                + " (cap "
                + MAX_BUFFERED_BYTES
                + " B), heap max "
                + job.maxHeapUsed() / (1024 * 1024)
                + " of "
                + job.heapMax() / (1024 * 1024)
                + " MiB in "
                + job.memorySamples()
                + " samples";
    }
}
