package io.ragstream.embed.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What an {@link EmbeddingServer} has seen since it started (or since {@link #reset()}), counting
 * embedding requests only ({@code /api/embed}, {@code /v1/embeddings}). Thread-safe.
 */
public final class EmbeddingServerStats {

    /**
     * The counters at one moment.
     *
     * @param requests embedding requests received, rejected ones included
     * @param texts texts embedded for a 200 answer (counted when the answer is ready, before its
     *     latency is waited out: an answer dropped by {@link EmbeddingServer#down()} counts)
     * @param rejected requests answered 503 because {@code max-concurrency} were in progress
     * @param failed requests answered with another status of 400 or more, or never answered
     *     (fail-mode timeout)
     * @param hung requests held without an answer (fail-mode timeout)
     * @param inFlight requests in progress now (a hung request is not: it frees its slot)
     * @param maxConcurrent the most requests in progress at once
     * @param statuses responses by HTTP status
     */
    public record Snapshot(
            long requests,
            long texts,
            long rejected,
            long failed,
            long hung,
            int inFlight,
            int maxConcurrent,
            Map<Integer, Long> statuses) {

        /** Responses with this status. */
        public long status(int status) {
            return statuses.getOrDefault(status, 0L);
        }
    }

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong texts = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong hung = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();

    public Snapshot snapshot() {
        Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((status, count) -> byStatus.put(status, count.sum()));
        return new Snapshot(
                requests.get(),
                texts.get(),
                rejected.get(),
                failed.get(),
                hung.get(),
                inFlight.get(),
                maxConcurrent.get(),
                Map.copyOf(byStatus));
    }

    /** Zeroes the counters; the maximum restarts from the requests in progress now. */
    public void reset() {
        requests.set(0);
        texts.set(0);
        rejected.set(0);
        failed.set(0);
        hung.set(0);
        statuses.clear();
        maxConcurrent.set(inFlight.get());
    }

    void received() {
        requests.incrementAndGet();
    }

    /**
     * Takes a slot for a request when fewer than {@code limit} are in progress (0: no limit);
     * {@link #exit()} gives it back.
     */
    boolean tryEnter(int limit) {
        while (true) {
            int now = inFlight.get();
            if (limit > 0 && now >= limit) {
                rejected.incrementAndGet();
                return false;
            }
            if (inFlight.compareAndSet(now, now + 1)) {
                maxConcurrent.accumulateAndGet(now + 1, Math::max);
                return true;
            }
        }
    }

    void exit() {
        inFlight.decrementAndGet();
    }

    /** A response with this status; {@code rejectedAtLimit} for the 503 of {@link #tryEnter}. */
    void answered(int status, boolean rejectedAtLimit) {
        statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
        if (status >= 400 && !rejectedAtLimit) {
            failed.incrementAndGet();
        }
    }

    void embedded(int count) {
        texts.addAndGet(count);
    }

    void hung() {
        hung.incrementAndGet();
        failed.incrementAndGet();
    }
}
