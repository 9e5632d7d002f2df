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
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> ranOn = new ArrayList<>();
        Thread first =
                searchHoldingTheTurn(
                        turns,
                        "acme",
                        releaseFirst,
                        () -> ranOn.add("first on " + Thread.currentThread().getName()));

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
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        Thread first = searchHoldingTheTurn(turns, "a", releaseFirst, () -> ran.add("a1"));

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

    /**
     * A search of {@code tenant} on a thread named "searching" that holds its turn until {@code
     * release}, then runs {@code then}; returned once it is searching.
     */
    private static Thread searchHoldingTheTurn(
            SearchTurns turns, String tenant, CountDownLatch release, Runnable then)
            throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        Thread thread =
                new Thread(
                        () ->
                                turns.take(
                                        tenant,
                                        () -> {
                                            started.countDown();
                                            awaitQuietly(release);
                                            then.run();
                                        }),
                        "searching");
        thread.start();
        started.await();
        return thread;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
