package io.ragstream.embed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Spreads embedding requests over a pool of endpoints without blocking: each request goes to the
 * least-loaded healthy endpoint that has a free slot (an endpoint never has more than its
 * {@code maxConcurrency} requests in flight), and waits in line while none has. A request that
 * fails for a transient reason is sent again after an exponential backoff with jitter, without
 * limit: a pool that is down holds the job back, it does not lose work. An endpoint that keeps
 * failing is backed off (its circuit opens) and probed with one request before it takes load
 * again. A permanent failure (the input itself is rejected) is returned to the caller.
 */
public final class EmbeddingPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingPool.class);

    /** Consecutive transient failures that open an endpoint's circuit. */
    static final int FAILURES_TO_OPEN = 3;

    private final List<Endpoint> endpoints;
    private final Deque<Request> waiting = new ArrayDeque<>();
    private final ScheduledExecutorService timer;
    private final Backoff retryBackoff;
    private final Backoff openBackoff;
    private final PoolListener listener;
    private final LongSupplier clock;
    private int nextStart; // rotates ties between equally loaded endpoints
    private boolean wakeUpScheduled;
    private boolean closed;

    /** Exponential backoff: initial × 2^(attempt-1), capped, with ±50 % jitter. */
    public record Backoff(long initialMillis, long maxMillis) {
        long delay(int attempt) {
            long base = Math.min(maxMillis, initialMillis << Math.min(20, attempt - 1));
            return (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble()));
        }
    }

    /** An endpoint and the share of its concurrency this pool may use. */
    public record Member(EmbeddingBackend backend, int maxConcurrency) {}

    public EmbeddingPool(List<Member> members, Backoff retryBackoff, Backoff openBackoff, PoolListener listener) {
        this(members, retryBackoff, openBackoff, listener, System::currentTimeMillis);
    }

    EmbeddingPool(List<Member> members, Backoff retryBackoff, Backoff openBackoff, PoolListener listener, LongSupplier clock) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one endpoint with a concurrency share");
        }
        this.endpoints = members.stream().map(m -> new Endpoint(m.backend(), m.maxConcurrency())).toList();
        this.retryBackoff = retryBackoff;
        this.openBackoff = openBackoff;
        this.listener = listener;
        this.clock = clock;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ragstream-embedding-pool");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.timer = executor;
    }

    /** Embeds one batch; completes when some endpoint has answered it, however long that takes. */
    public CompletableFuture<List<float[]>> embed(List<String> texts) {
        Request request = new Request(List.copyOf(texts));
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the embedding pool is closed");
            }
            waiting.addLast(request);
        }
        dispatch();
        return request.result;
    }

    /** Requests being answered right now, over all endpoints. */
    public synchronized int inFlight() {
        return endpoints.stream().mapToInt(e -> e.inFlight).sum();
    }

    /** Endpoints whose circuit is closed. */
    public synchronized int healthyEndpoints() {
        return (int) endpoints.stream().filter(e -> e.openUntil == 0).count();
    }

    public synchronized int queued() {
        return waiting.size();
    }

    private void dispatch() {
        List<Runnable> sends = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && !closed) {
                Endpoint endpoint = choose(clock.getAsLong());
                if (endpoint == null) {
                    scheduleWakeUp();
                    break;
                }
                Request request = waiting.pollFirst();
                endpoint.inFlight++;
                if (endpoint.openUntil != 0) {
                    endpoint.probing = true; // half-open: this request decides
                }
                sends.add(() -> send(endpoint, request));
            }
        }
        sends.forEach(Runnable::run); // outside the lock: a backend may answer at once
    }

    /** The least-loaded endpoint that may take a request now, or null. */
    private Endpoint choose(long now) {
        Endpoint best = null;
        double bestLoad = Double.MAX_VALUE;
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint e = endpoints.get((nextStart + i) % endpoints.size());
            if (!e.canTake(now)) {
                continue;
            }
            double load = (double) e.inFlight / e.maxConcurrency;
            if (load < bestLoad) {
                best = e;
                bestLoad = load;
            }
        }
        nextStart = (nextStart + 1) % endpoints.size();
        return best;
    }

    /** With every endpoint full or backed off, look again when the first circuit may close. */
    private void scheduleWakeUp() {
        if (wakeUpScheduled || endpoints.stream().anyMatch(e -> e.openUntil == 0)) {
            return; // a completing request will dispatch again
        }
        long now = clock.getAsLong();
        long next = endpoints.stream().filter(e -> !e.probing).mapToLong(e -> e.openUntil).min().orElse(now + 100);
        wakeUpScheduled = true;
        timer.schedule(() -> {
            synchronized (this) {
                wakeUpScheduled = false;
            }
            dispatch();
        }, Math.max(1, next - now), TimeUnit.MILLISECONDS);
    }

    private void send(Endpoint endpoint, Request request) {
        request.attempts++;
        long start = System.nanoTime();
        listener.onRequest(endpoint.backend.endpoint(), request.texts.size());
        CompletableFuture<List<float[]>> answer;
        try {
            answer = endpoint.backend.embed(request.texts);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((vectors, error) -> {
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (error == null) {
                succeeded(endpoint);
                listener.onSuccess(endpoint.backend.endpoint(), millis);
                request.result.complete(vectors);
            } else {
                EmbeddingFailure failure = asFailure(endpoint, error);
                listener.onFailure(endpoint.backend.endpoint(), failure);
                if (failure.isTransient() || misconfigured(failure)) {
                    failed(endpoint);
                    retryLater(request, failure);
                } else {
                    succeeded(endpoint); // the endpoint answered; the input was wrong
                    request.result.completeExceptionally(failure);
                }
            }
            dispatch();
        });
    }

    private synchronized void succeeded(Endpoint endpoint) {
        endpoint.inFlight--;
        if (endpoint.openUntil != 0) {
            LOG.info("embedding endpoint {} answers again; closing its circuit", endpoint.backend.endpoint());
        }
        endpoint.failures = 0;
        endpoint.opened = 0;
        endpoint.openUntil = 0;
        endpoint.probing = false;
    }

    private synchronized void failed(Endpoint endpoint) {
        endpoint.inFlight--;
        endpoint.failures++;
        boolean probeFailed = endpoint.probing;
        endpoint.probing = false;
        if (probeFailed || endpoint.failures >= FAILURES_TO_OPEN) {
            endpoint.opened++;
            long pause = openBackoff.delay(endpoint.opened);
            endpoint.openUntil = clock.getAsLong() + pause;
            LOG.warn("embedding endpoint {} failed {} times in a row; backing off for {} ms",
                    endpoint.backend.endpoint(), endpoint.failures, pause);
        }
    }

    private void retryLater(Request request, EmbeddingFailure failure) {
        long delay = retryBackoff.delay(request.attempts);
        listener.onRetry(request.attempts);
        LOG.debug("retrying a batch of {} after attempt {} failed ({}); in {} ms",
                request.texts.size(), request.attempts, failure.getMessage(), delay);
        timer.schedule(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
                waiting.addFirst(request); // it has waited longest
            }
            dispatch();
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * 401, 403, 404: a wrong key or a model the endpoint lacks. That is the endpoint's fault,
     * not the input's: its work waits and moves elsewhere rather than being dead-lettered.
     */
    private static boolean misconfigured(EmbeddingFailure failure) {
        return failure.status() == 401 || failure.status() == 403 || failure.status() == 404;
    }

    private static EmbeddingFailure asFailure(Endpoint endpoint, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof EmbeddingFailure f) {
            return f;
        }
        return EmbeddingFailure.transientFailure(endpoint.backend.endpoint() + ": " + cause, cause);
    }

    @Override
    public void close() {
        List<Request> abandoned;
        synchronized (this) {
            closed = true;
            abandoned = new ArrayList<>(waiting);
            waiting.clear();
        }
        timer.shutdownNow();
        abandoned.forEach(r -> r.result.cancel(false));
        endpoints.forEach(e -> e.backend.close());
    }

    private static final class Request {
        final List<String> texts;
        final CompletableFuture<List<float[]>> result = new CompletableFuture<>();
        int attempts;

        Request(List<String> texts) {
            this.texts = texts;
        }
    }

    /** An endpoint's load and circuit; guarded by the pool's lock. */
    private static final class Endpoint {
        final EmbeddingBackend backend;
        final int maxConcurrency;
        int inFlight;
        int failures;   // consecutive transient failures
        int opened;     // consecutive times the circuit opened: the pause grows with it
        long openUntil; // 0: closed (healthy); else backed off until then, then half-open
        boolean probing;

        Endpoint(EmbeddingBackend backend, int maxConcurrency) {
            this.backend = backend;
            this.maxConcurrency = maxConcurrency;
        }

        boolean canTake(long now) {
            if (openUntil == 0) {
                return inFlight < maxConcurrency;
            }
            return now >= openUntil && !probing && inFlight == 0; // half-open: one probe at a time
        }
    }
}
