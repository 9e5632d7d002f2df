package io.ragstream.job;

import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TcpProxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The failures {@link ChaosIT} injects, one line each: what an operator's job meets in production.
 * Each returns a few words on what it did, for the run's log.
 */
enum ChaosFailure {
    TASK_FAILURE("task failure", t -> t.job().failTask(t.pg())),
    JOB_KILL("kill -9 of the job and resume", t -> t.job().killAndResume()),
    POSTGRES_CRASH(
            "PostgreSQL immediate shutdown and restart",
            t -> {
                t.pg().crashAndRestart();
                return "restarted";
            }),
    CONNECTION_CUT(
            "connections cut mid-transaction",
            t -> {
                String when = t.awaitSinkTransaction();
                t.proxy().cut();
                return "cut " + when;
            }),
    BLACK_HOLE(
            "connections black-holed",
            t -> {
                String when = t.awaitSinkTransaction();
                t.proxy().blackHole();
                try {
                    Thread.sleep(ChaosTargets.BLACK_HOLE_FOR.toMillis());
                } finally {
                    t.proxy().heal();
                }
                return "for " + ChaosTargets.BLACK_HOLE_FOR.toSeconds() + " s, from " + when;
            }),
    EMBEDDING_OUTAGE(
            "embedding endpoint outage",
            t -> {
                t.embeddings().downFor(ChaosTargets.EMBEDDINGS_DOWN_FOR);
                Thread.sleep(ChaosTargets.EMBEDDINGS_DOWN_FOR.toMillis());
                return "down for " + ChaosTargets.EMBEDDINGS_DOWN_FOR.toSeconds() + " s";
            }),
    RESCALE("stop with savepoint and resume at another parallelism", t -> t.job().rescale()),
    SECOND_JOB_KILL("kill -9 of the second job and resume", t -> t.second().killAndResume());

    /** What a failure acts on. */
    record ChaosTargets(
            PrivatePostgres pg,
            TcpProxy proxy,
            EmbeddingServer embeddings,
            ChaosJob job,
            ChaosJob second) {
        /**
         * Longer than the jobs' {@code postgres.socket-timeout}, so that their tasks fail and
         * recover.
         */
        static final Duration BLACK_HOLE_FOR = Duration.ofSeconds(10);

        static final Duration EMBEDDINGS_DOWN_FOR = Duration.ofSeconds(6);

        /** Waits (a little) until the job's sink has a transaction open, so a cut meets one. */
        String awaitSinkTransaction() throws InterruptedException {
            for (int tries = 0; tries < 50; tries++) {
                if (job.sinkInTransaction(pg)) {
                    return "mid-transaction";
                }
                Thread.sleep(100);
            }
            return "between transactions";
        }
    }

    @FunctionalInterface
    private interface Injection {
        String inject(ChaosTargets targets) throws Exception;
    }

    final String description;
    private final Injection injection;

    ChaosFailure(String description, Injection injection) {
        this.description = description;
        this.injection = injection;
    }

    String inject(ChaosTargets targets) throws Exception {
        return injection.inject(targets);
    }

    /** Every kind once, and a second rescale so the job goes 1 → 2 → 1. */
    static List<ChaosFailure> minimumSchedule() {
        List<ChaosFailure> schedule = new ArrayList<>(List.of(values()));
        schedule.add(RESCALE);
        return schedule;
    }

    /** {@code count} failures in a random order: the minimum schedule, the rest drawn at random. */
    static List<ChaosFailure> schedule(int count, Random random) {
        List<ChaosFailure> schedule = minimumSchedule();
        while (schedule.size() < count) {
            schedule.add(values()[random.nextInt(values().length)]);
        }
        Collections.shuffle(schedule, random);
        return schedule;
    }
}
