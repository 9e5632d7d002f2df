package io.ragstream.bench;

import io.ragstream.embed.EmbeddingBackend;
import io.ragstream.embed.EmbeddingPool;
import io.ragstream.embed.OpenAiBackend;
import io.ragstream.embed.PoolListener;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.embed.server.SyntheticEmbedder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The embedding pool against K endpoints shaped like GPUs (latency = fixed + per item × batch,
 * concurrency c, answering 503 past it), serving cheap synthetic vectors so that the pool, not this
 * machine's cores, is what is measured: achieved chunks/s against the pool's ceiling K·c·batch /
 * latency(batch). Beside each K, Flink's own ML_PREDICT against endpoints of the same shape and the
 * same total concurrency ({@link MlPredictBench}).
 */
public final class PoolBench {
    static final Duration FIXED = Duration.ofMillis(20);
    static final Duration PER_ITEM = Duration.ofMillis(1);
    static final int CONCURRENCY = 4;
    static final int BATCH = 32;

    /** Rounds of requests each slot serves: enough that start and end are a small part. */
    static final int ROUNDS = 100;

    /**
     * Rounds first served untimed: the HTTP client, the servers and the pool reach their
     * JIT-compiled speed.
     */
    static final int WARM_UP_ROUNDS = 50;

    private PoolBench() {}

    public static void run(BenchReport report) throws Exception {
        double latencySeconds = (FIXED.toNanos() + PER_ITEM.toNanos() * BATCH) / 1e9;
        double latencyOfOne = (FIXED.toNanos() + PER_ITEM.toNanos()) / 1e9;
        for (int k : new int[] {1, 2, 4, 8}) {
            double ceiling = k * CONCURRENCY * BATCH / latencySeconds;
            double achieved = measure(k);
            String shape = k + " endpoint" + (k == 1 ? "" : "s") + " × c=" + CONCURRENCY;
            report.add(
                    "pool",
                    shape + ", chunks/s (ceiling " + BenchReport.format(ceiling) + ")",
                    achieved,
                    "");
            report.add(
                    "pool", shape + ", achieved / ceiling", achieved / ceiling, Goal.atLeast(0.90));

            MlPredictBench.Result flink = MlPredictBench.measure(k);
            report.add(
                    "pool",
                    shape
                            + ", Flink ML_PREDICT texts/s (ceiling "
                            + BenchReport.format(k * CONCURRENCY / latencyOfOne)
                            + "; with job start "
                            + BenchReport.format(flink.withJobStart())
                            + (flink.rejected() > 0
                                    ? "; " + flink.rejected() + " answered 503"
                                    : "")
                            + ")",
                    flink.textsPerSecond(),
                    "");
            report.add(
                    "pool",
                    shape + ", ragstream pool / ML_PREDICT",
                    achieved / flink.textsPerSecond(),
                    "");
        }
        report.add(
                "pool",
                "endpoint shape",
                FIXED.toMillis()
                        + " ms + "
                        + PER_ITEM.toMillis()
                        + " ms × batch, batch "
                        + BATCH
                        + ", OpenAI API, base64",
                "");
        report.add(
                "pool",
                "ML_PREDICT setup",
                "flink-model-openai 2.2.0 (its jar only: its parent pom "
                        + "is missing from Maven Central), one model per endpoint, async, max-concurrent-operations "
                        + CONCURRENCY
                        + ", one text per request",
                "");
    }

    private static double measure(int endpoints) throws Exception {
        EmbeddingServerOptions shape =
                EmbeddingServerOptions.defaults()
                        .withModel(ModelKind.SYNTHETIC)
                        .withLatency(FIXED, PER_ITEM)
                        .withMaxConcurrency(CONCURRENCY);
        try (EmbeddingServerGroup servers = EmbeddingServerGroup.start(endpoints, shape)) {
            List<EmbeddingPool.Member> members = new ArrayList<>();
            for (EmbeddingServer server : servers.servers()) {
                EmbeddingBackend backend =
                        OpenAiBackend.builder(server.url().toString())
                                .model(server.options().modelName())
                                .dimension(SyntheticEmbedder.DIMENSION)
                                .encodingFormat(OpenAiBackend.EncodingFormat.BASE64)
                                .build();
                members.add(new EmbeddingPool.Member(backend, CONCURRENCY));
            }
            try (EmbeddingPool pool =
                    new EmbeddingPool(
                            members,
                            new EmbeddingPool.Backoff(10, 1000),
                            new EmbeddingPool.Backoff(100, 1000),
                            PoolListener.NONE)) {
                run(pool, endpoints * CONCURRENCY * WARM_UP_ROUNDS, 0);
                int requests = endpoints * CONCURRENCY * ROUNDS;
                long start = System.nanoTime();
                run(pool, requests, 1);
                return requests * (double) BATCH / ((System.nanoTime() - start) / 1e9);
            }
        }
    }

    /** All requests at once: the pool keeps every slot busy and queues the rest. */
    private static void run(EmbeddingPool pool, int requests, int salt) {
        List<CompletableFuture<List<float[]>>> answers = new ArrayList<>(requests);
        for (int r = 0; r < requests; r++) {
            List<String> texts = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                texts.add("chunk " + i + " of request " + r + "." + salt);
            }
            answers.add(pool.embed(texts));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
    }
}
