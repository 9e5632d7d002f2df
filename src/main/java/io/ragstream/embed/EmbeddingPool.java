package io.ragstream.embed;

import io.ragstream.config.RagstreamOptions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
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
 * least-loaded healthy endpoint that has a free slot (an endpoint never has more than its {@code
 * maxConcurrency} requests in flight), and waits in line while none has. A request that fails for a
 * transient reason is sent again after an exponential backoff with jitter, without limit: a pool
 * that is down holds the job back, it does not lose work. An endpoint that keeps failing is backed
 * off (its circuit opens) and probed with one request before it takes load again. A permanent
 * failure (the input itself is rejected) is returned to the caller.
 *
 * <p>An endpoint that answers as if set up wrong (a key refused, a path or model missing, vectors
 * of another dimension) is misconfigured: its requests go to the others at once, and it takes no
 * work but a probe request now and then, so that fixing it brings it back. While no endpoint is
 * healthy and some are misconfigured the requests wait; after {@link Misconfigured#timeout()} of
 * that, the pool fails them (and any new one), naming the endpoints and what to fix.
 */
public final class EmbeddingPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingPool.class);

    private final List<Endpoint> endpoints;
    private final Deque<Request> waiting = new ArrayDeque<>();
    private final ScheduledExecutorService timer;
    private final Backoff retryBackoff;
    private final Backoff openBackoff;
    private final Misconfigured misconfigured;
    private final PoolListener listener;
    private final LongSupplier clock;
    private int nextStart; // rotates ties between equally loaded endpoints
    private boolean wakeUpScheduled;
    private long stuckSince; // 0, or since when no endpoint is healthy and some are misconfigured
    private boolean closed;

    /** Exponential backoff: initial × 2^(attempt-1), capped, with ±50 % jitter. */
    public record Backoff(long initialMillis, long maxMillis) {
        long delay(int attempt) {
            long base = Math.min(maxMillis, initialMillis << Math.min(20, attempt - 1));
            return (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble()));
        }
    }

    /**
     * How misconfigured endpoints are waited for: probed every {@code probeEvery}; and after {@code
     * timeout} without a healthy endpoint, the pool gives up.
     */
    public record Misconfigured(Duration probeEvery, Duration timeout) {
        public static final Misconfigured DEFAULT =
                new Misconfigured(Duration.ofSeconds(30), Duration.ofMinutes(3));

        public Misconfigured {
            if (probeEvery.isNegative()
                    || probeEvery.isZero()
                    || timeout.isNegative()
                    || timeout.isZero()) {
                throw new IllegalArgumentException(
                        "probeEvery and timeout must be positive: " + probeEvery + ", " + timeout);
            }
        }
    }

    /**
     * An endpoint and the share of its concurrency this pool may use.
     *
     * @param setting the setting that holds its URL, named when it is misconfigured (may be null)
     */
    public record Member(EmbeddingBackend backend, int maxConcurrency, String setting) {
        public Member(EmbeddingBackend backend, int maxConcurrency) {
            this(backend, maxConcurrency, null);
        }
    }

    public EmbeddingPool(
            List<Member> members,
            Backoff retryBackoff,
            Backoff openBackoff,
            PoolListener listener) {
        this(members, retryBackoff, openBackoff, Misconfigured.DEFAULT, listener);
    }

    public EmbeddingPool(
            List<Member> members,
            Backoff retryBackoff,
            Backoff openBackoff,
            Misconfigured misconfigured,
            PoolListener listener) {
        this(
                members,
                retryBackoff,
                openBackoff,
                misconfigured,
                listener,
                System::currentTimeMillis);
    }

    EmbeddingPool(
            List<Member> members,
            Backoff retryBackoff,
            Backoff openBackoff,
            Misconfigured misconfigured,
            PoolListener listener,
            LongSupplier clock) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException(
                    "a pool needs at least one endpoint with a concurrency share");
        }
        this.endpoints = members.stream().map(Endpoint::new).toList();
        this.retryBackoff = retryBackoff;
        this.openBackoff = openBackoff;
        this.misconfigured = misconfigured;
        this.listener = listener;
        this.clock = clock;
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "ragstream-embedding-pool");
                            t.setDaemon(true);
                            return t;
                        });
        executor.setRemoveOnCancelPolicy(true);
        this.timer = executor;
    }

    /**
     * Embeds one batch; completes when some endpoint has answered it, however long that takes, or
     * fails with a MISCONFIGURED {@link EmbeddingFailure} when the pool gives up (see the class
     * comment).
     */
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

    /** Endpoints that take work: circuit closed, not misconfigured. */
    public synchronized int healthyEndpoints() {
        return (int) endpoints.stream().filter(e -> e.health.healthy()).count();
    }

    /**
     * Endpoints that take no work until someone fixes them (a key, a path, a model, a dimension).
     */
    public synchronized int misconfiguredEndpoints() {
        return (int) endpoints.stream().filter(e -> e.health.misconfiguration() != null).count();
    }

    public synchronized int queued() {
        return waiting.size();
    }

    private void dispatch() {
        List<Runnable> sends = new ArrayList<>();
        List<Request> givenUp = List.of();
        EmbeddingFailure giveUp = null;
        synchronized (this) {
            long now = clock.getAsLong();
            while (!waiting.isEmpty() && !closed) {
                Endpoint endpoint = choose(now);
                if (endpoint == null) {
                    scheduleWakeUp();
                    break;
                }
                Request request = waiting.pollFirst();
                endpoint.inFlight++;
                boolean probe =
                        !endpoint.health
                                .healthy(); // half-open or misconfigured: this request decides
                if (probe) {
                    endpoint.health.probing();
                }
                sends.add(() -> send(endpoint, request, probe));
            }
            // what no endpoint took; a probe may still have gone out, so a fix is seen even now
            if (expired(now) && !waiting.isEmpty()) {
                giveUp = giveUp(now);
                givenUp = new ArrayList<>(waiting);
                waiting.clear();
            }
        }
        for (Request request : givenUp) {
            request.result.completeExceptionally(giveUp);
        }
        sends.forEach(Runnable::run); // outside the lock: a backend may answer at once
    }

    /** No endpoint has been healthy, and some misconfigured, for the timeout: stop waiting. */
    private boolean expired(long now) {
        return stuckSince != 0 && now - stuckSince >= misconfigured.timeout().toMillis();
    }

    /** Why the pool stops waiting: every misconfigured endpoint, what it answered, what to fix. */
    private EmbeddingFailure giveUp(long now) {
        List<Misconfiguration> problems =
                endpoints.stream()
                        .map(e -> e.health.misconfiguration())
                        .filter(m -> m != null)
                        .toList();
        StringBuilder message =
                new StringBuilder("no embedding endpoint has been healthy for ")
                        .append((now - stuckSince) / 1000)
                        .append(" s (")
                        .append(RagstreamOptions.EMBEDDING_MISCONFIGURED_TIMEOUT.key())
                        .append('=')
                        .append(misconfigured.timeout())
                        .append(") and ")
                        .append(problems.size())
                        .append(" of ")
                        .append(endpoints.size())
                        .append(" are misconfigured: ");
        for (int i = 0; i < problems.size(); i++) {
            message.append(i == 0 ? "" : "; ").append(problems.get(i).describe());
        }
        return new EmbeddingFailure(
                EmbeddingFailure.Kind.MISCONFIGURED,
                problems.get(0).failure().status(),
                message.toString(),
                null);
    }

    /** Starts or stops the misconfiguration clock after an endpoint's health changed. */
    private void checkStuck() {
        boolean stuck =
                endpoints.stream().noneMatch(e -> e.health.healthy())
                        && endpoints.stream().anyMatch(e -> e.health.misconfiguration() != null);
        if (!stuck) {
            stuckSince = 0;
        } else if (stuckSince == 0 && !closed) {
            stuckSince = clock.getAsLong();
            long at = misconfigured.timeout().toMillis();
            LOG.warn(
                    "no embedding endpoint is healthy and {} are misconfigured: embedding waits, and fails in {} ({}) "
                            + "unless one is fixed",
                    misconfiguredEndpoints(),
                    misconfigured.timeout(),
                    RagstreamOptions.EMBEDDING_MISCONFIGURED_TIMEOUT.key());
            timer.schedule(
                    this::dispatch, at + 1, TimeUnit.MILLISECONDS); // gives up, if still stuck then
        }
    }

    /** The least-loaded endpoint that may take a request now, or null. */
    private Endpoint choose(long now) {
        Endpoint best = null;
        double bestLoad = Double.MAX_VALUE;
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint e = endpoints.get((nextStart + i) % endpoints.size());
            if (!canTake(e, now)) {
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

    private static boolean canTake(Endpoint e, long now) {
        if (e.health.healthy()) {
            return e.inFlight < e.maxConcurrency;
        }
        return e.inFlight == 0 && e.health.mayProbe(now); // one probe at a time
    }

    /**
     * With every endpoint full, backed off or misconfigured, look again when the first may take a
     * probe.
     */
    private void scheduleWakeUp() {
        if (wakeUpScheduled || endpoints.stream().anyMatch(e -> e.health.healthy())) {
            return; // a completing request will dispatch again
        }
        long now = clock.getAsLong();
        long next =
                endpoints.stream()
                        .filter(e -> e.inFlight == 0)
                        .mapToLong(e -> e.health.nextChance())
                        .min()
                        .orElse(now + 100);
        wakeUpScheduled = true;
        timer.schedule(
                () -> {
                    synchronized (this) {
                        wakeUpScheduled = false;
                    }
                    dispatch();
                },
                Math.max(1, next - now),
                TimeUnit.MILLISECONDS);
    }

    private void send(Endpoint endpoint, Request request, boolean probe) {
        request.attempts++;
        long start = System.nanoTime();
        listener.onRequest(endpoint.backend.endpoint(), request.texts.size());
        CompletableFuture<List<float[]>> answer;
        try {
            answer = endpoint.backend.embed(request.texts);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete(
                (vectors, error) -> {
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    if (error == null) {
                        answered(endpoint, probe);
                        listener.onSuccess(endpoint.backend.endpoint(), millis);
                        request.result.complete(vectors);
                    } else {
                        EmbeddingFailure failure = asFailure(endpoint, error);
                        listener.onFailure(endpoint.backend.endpoint(), failure);
                        switch (failure.kind()) {
                            case TRANSIENT -> {
                                failed(endpoint, probe);
                                retryLater(request, failure);
                            }
                            case MISCONFIGURED -> {
                                EmbeddingFailure givenUp =
                                        misconfigured(endpoint, probe, failure, request);
                                if (givenUp != null) {
                                    request.result.completeExceptionally(givenUp);
                                }
                            }
                            case PERMANENT -> {
                                answered(
                                        endpoint,
                                        probe); // the endpoint answered; the input was wrong
                                request.result.completeExceptionally(failure);
                            }
                        }
                    }
                    dispatch();
                });
    }

    private synchronized void answered(Endpoint endpoint, boolean probe) {
        endpoint.inFlight--;
        if (endpoint.health.answered(probe)) {
            LOG.info(
                    "embedding endpoint {} answers properly again; it takes work",
                    endpoint.backend.endpoint());
            checkStuck();
        }
    }

    private synchronized void failed(Endpoint endpoint, boolean probe) {
        endpoint.inFlight--;
        long pause =
                endpoint.health.failedTransiently(
                        clock.getAsLong(),
                        probe,
                        openBackoff,
                        misconfigured.probeEvery().toMillis());
        if (pause > 0) {
            LOG.warn(
                    "embedding endpoint {} keeps failing; backing off for {} ms",
                    endpoint.backend.endpoint(),
                    pause);
            checkStuck();
        }
    }

    /**
     * Marks the endpoint and puts the request back in line for another endpoint (or the wait); past
     * the timeout, returns why the request fails instead: a request bouncing between misconfigured
     * endpoints might otherwise never be seen waiting.
     */
    private synchronized EmbeddingFailure misconfigured(
            Endpoint endpoint, boolean probe, EmbeddingFailure failure, Request request) {
        endpoint.inFlight--;
        long now = clock.getAsLong();
        Misconfiguration problem =
                new Misconfiguration(endpoint.backend.endpoint(), endpoint.setting, failure);
        if (endpoint.health.misconfigured(
                now, probe, problem, misconfigured.probeEvery().toMillis())) {
            LOG.error(
                    "embedding endpoint {}; it takes no work and is probed every {} s until fixed",
                    problem.describe(),
                    misconfigured.probeEvery().toSeconds());
        }
        checkStuck();
        if (expired(now)) {
            return giveUp(now);
        }
        listener.onRetry(request.attempts);
        if (!closed) {
            waiting.addFirst(request); // it has waited longest
        }
        return null;
    }

    private void retryLater(Request request, EmbeddingFailure failure) {
        long delay = retryBackoff.delay(request.attempts);
        listener.onRetry(request.attempts);
        LOG.debug(
                "retrying a batch of {} after attempt {} failed ({}); in {} ms",
                request.texts.size(),
                request.attempts,
                failure.getMessage(),
                delay);
        timer.schedule(
                () -> {
                    synchronized (this) {
                        if (closed) {
                            return;
                        }
                        waiting.addFirst(request); // it has waited longest
                    }
                    dispatch();
                },
                delay,
                TimeUnit.MILLISECONDS);
    }

    private static EmbeddingFailure asFailure(Endpoint endpoint, Throwable error) {
        Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
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

    /** An endpoint, its load and its health; guarded by the pool's lock. */
    private static final class Endpoint {
        final EmbeddingBackend backend;
        final int maxConcurrency;
        final String setting;
        final EndpointHealth health = new EndpointHealth();
        int inFlight;

        Endpoint(Member member) {
            this.backend = member.backend();
            this.maxConcurrency = member.maxConcurrency();
            this.setting = member.setting();
        }
    }
}
