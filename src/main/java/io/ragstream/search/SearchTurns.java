package io.ragstream.search;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Runs at most a fixed number of searches at once, the others in arrival order, without threads of
 * its own: a search runs on the thread that hands it in when a turn is free, and a thread that
 * finishes one goes on with the next waiting one, so no thread is woken per request, as handing
 * each to a pool of search threads would.
 */
final class SearchTurns {
    private final Semaphore free;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    SearchTurns(int atOnce) {
        this.free = new Semaphore(atOnce);
    }

    /**
     * Runs {@code search} now or leaves it for a thread already searching; returns once this thread
     * has no turn. {@code search} must not throw.
     */
    void take(Runnable search) {
        waiting.add(search);
        // the last holder may have found the queue empty just before the add: look again after
        // each release
        while (!waiting.isEmpty() && free.tryAcquire()) {
            try {
                for (Runnable next = waiting.poll(); next != null; next = waiting.poll()) {
                    next.run();
                }
            } finally {
                free.release();
            }
        }
    }
}
