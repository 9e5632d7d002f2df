package io.ragstream.search;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Runs at most a fixed number of searches at once. The others wait, each tenant's in arrival order
 * and the tenants in turn, so a tenant's burst delays its own searches rather than every tenant's;
 * a tenant with {@code maxWaiting} searches waiting already is refused, rather than building a
 * backlog its clients will have given up on. No threads of its own: a search runs on the thread
 * that hands it in when a turn is free, and a thread that finishes one goes on with the next
 * waiting one, so no thread is woken per request, as handing each to a pool of search threads
 * would.
 */
final class SearchTurns {
    private final Semaphore free;
    private final int maxWaiting;

    /** Each tenant's waiting searches, the tenant whose search runs next first. */
    private final Map<String, ArrayDeque<Runnable>> waiting = new LinkedHashMap<>();

    SearchTurns(int atOnce, int maxWaiting) {
        if (atOnce < 1 || maxWaiting < 1) {
            throw new IllegalArgumentException(
                    "atOnce and maxWaiting must be at least 1, were " + atOnce + ", " + maxWaiting);
        }
        this.free = new Semaphore(atOnce);
        this.maxWaiting = maxWaiting;
    }

    /**
     * Runs {@code search} now or leaves it for a thread already searching, and returns once this
     * thread has no turn; false, running nothing, when {@code tenant} has {@code maxWaiting}
     * searches waiting already. {@code search} must not throw.
     */
    boolean take(String tenant, Runnable search) {
        synchronized (waiting) {
            ArrayDeque<Runnable> queue = waiting.get(tenant);
            if (queue == null) {
                waiting.put(tenant, queue = new ArrayDeque<>());
            } else if (queue.size() >= maxWaiting) {
                return false;
            }
            queue.add(search);
        }
        // the last holder may have found nothing waiting just before the add: look again after
        // each release
        while (anyWaiting() && free.tryAcquire()) {
            try {
                for (Runnable next = next(); next != null; next = next()) {
                    next.run();
                }
            } finally {
                free.release();
            }
        }
        return true;
    }

    private boolean anyWaiting() {
        synchronized (waiting) {
            return !waiting.isEmpty();
        }
    }

    /** The first tenant's oldest search; the tenant goes to the back if it has more. */
    private Runnable next() {
        synchronized (waiting) {
            Iterator<Map.Entry<String, ArrayDeque<Runnable>>> tenants =
                    waiting.entrySet().iterator();
            if (!tenants.hasNext()) {
                return null;
            }
            Map.Entry<String, ArrayDeque<Runnable>> first = tenants.next();
            tenants.remove();
            Runnable search = first.getValue().poll();
            if (!first.getValue().isEmpty()) {
                waiting.put(first.getKey(), first.getValue());
            }
            return search;
        }
    }
}
