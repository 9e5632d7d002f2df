package io.ragstream.search;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class SearchTurnsTest {
    @Test
    void runsEverySearchAndNeverMoreAtOnceThanItsTurns() throws Exception {
        SearchTurns turns = new SearchTurns(3, 2_000);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        for (int i = 0; i < 2_000; i++) {
            callers.execute(
                    () -> {
                        awaitQuietly(start);
                        turns.take(
                                "acme",
                                () -> {
                                    mostAtOnce.accumulateAndGet(
                                            running.incrementAndGet(), Math::max);
                                    Thread.onSpinWait();
                                    running.decrementAndGet();
                                    done.incrementAndGet();
                                });
                    });
        }
        start.countDown();
        callers.shutdown();
        assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        assertThat(done).hasValue(2_000);
        assertThat(mostAtOnce.get()).isBetween(1, 3);
    }

    @Test
    void aSearchHandedInWhileEveryTurnIsTakenRunsOnAThreadAlreadySearching() throws Exception {
        SearchTurns turns = new SearchTurns(1, 10);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> ranOn = new ArrayList<>();
        Thread first =
                new Thread(
                        () ->
                                turns.take(
                                        "acme",
                                        () -> {
                                            firstStarted.countDown();
                                            awaitQuietly(releaseFirst);
                                            ranOn.add(
                                                    "first on " + Thread.currentThread().getName());
                                        }),
                        "searching");
        first.start();
        firstStarted.await();

        turns.take("acme", () -> ranOn.add("second on " + Thread.currentThread().getName()));
        releaseFirst.countDown();
        first.join();

        assertThat(ranOn).containsExactly("first on searching", "second on searching");
    }

    /**
     * While one search holds the only turn, tenant a hands in two more and b one: b's runs after
     * a's first waiting one, not after all of a's, and a's third waiting one is refused while b's
     * is taken.
     */
    @Test
    void tenantsTakeTurnsAndATenantsBacklogIsBounded() throws Exception {
        SearchTurns turns = new SearchTurns(1, 2);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        Thread first =
                new Thread(
                        () ->
                                turns.take(
                                        "a",
                                        () -> {
                                            firstStarted.countDown();
                                            awaitQuietly(releaseFirst);
                                            ran.add("a1");
                                        }));
        first.start();
        firstStarted.await();

        assertThat(turns.take("a", () -> ran.add("a2"))).isTrue();
        assertThat(turns.take("a", () -> ran.add("a3"))).isTrue();
        assertThat(turns.take("a", () -> ran.add("a4"))).as("a's third waiting").isFalse();
        assertThat(turns.take("b", () -> ran.add("b1"))).as("b's first waiting").isTrue();
        releaseFirst.countDown();
        first.join();

        assertThat(ran).containsExactly("a1", "a2", "b1", "a3");
        assertThat(turns.take("a", () -> ran.add("a5"))).as("once a's backlog ran").isTrue();
        assertThat(ran).endsWith("a5");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
