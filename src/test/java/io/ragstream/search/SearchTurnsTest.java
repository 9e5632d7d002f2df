package io.ragstream.search;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class SearchTurnsTest {
    @Test
    void runsEverySearchAndNeverMoreAtOnceThanItsTurns() throws Exception {
        SearchTurns turns = new SearchTurns(3);
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
        SearchTurns turns = new SearchTurns(1);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<String> ranOn = new ArrayList<>();
        Thread first =
                new Thread(
                        () ->
                                turns.take(
                                        () -> {
                                            firstStarted.countDown();
                                            awaitQuietly(releaseFirst);
                                            ranOn.add(
                                                    "first on " + Thread.currentThread().getName());
                                        }),
                        "searching");
        first.start();
        firstStarted.await();

        turns.take(() -> ranOn.add("second on " + Thread.currentThread().getName()));
        releaseFirst.countDown();
        first.join();

        assertThat(ranOn).containsExactly("first on searching", "second on searching");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
