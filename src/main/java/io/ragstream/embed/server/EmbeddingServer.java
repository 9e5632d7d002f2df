package io.ragstream.embed.server;

import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A real HTTP embedding server on 127.0.0.1 that stands in for a GPU embedding server (Ollama,
 * vLLM, TEI) in tests and benchmarks, with the knobs of a sick one.
 *
 * <p>It speaks both APIs on one port: Ollama's {@code POST /api/embed} ({@link OllamaApi}) and
 * OpenAI's {@code POST /v1/embeddings} ({@link OpenAiApi}), plus {@code GET /}, {@code /api/tags},
 * {@code /api/version}, {@code /v1/models}, and the admin endpoints of {@link AdminHandler} ({@code
 * /admin/config}, {@code /admin/stats}).
 *
 * <p>Behaviour ({@link EmbeddingServerOptions}, changeable while it runs with {@link #configure}):
 * the model (the real all-MiniLM-L6-v2 or the cheap synthetic one), the latency of a request
 * ({@code fixed + per-item * texts}, waited out on a timer, not by a sleeping thread), the most
 * requests in progress (one more gets 503 at once), the API key, and injected failures: 500, 503,
 * 429, requests never answered, short vectors, inputs with a poison marker answered 400, and the
 * whole server going down (connection refused) and up again on the same port ({@link #down()},
 * {@link #up()}).
 *
 * <p>{@link #stats()} counts what it saw, e.g. the most requests it had in progress at once.
 *
 * <pre>{@code
 * try (EmbeddingServer server = EmbeddingServer.start(EmbeddingServerOptions.defaults()
 *         .withModel(ModelKind.SYNTHETIC)
 *         .withLatency(Duration.ofMillis(20), Duration.ofMillis(1))
 *         .withMaxConcurrency(4))) {
 *     URI ollama = server.url(); // http://127.0.0.1:PORT, POST /api/embed
 *     server.down();             // connection refused
 *     server.up();               // same port again
 *     server.configure(o -> o.withFailures(FailMode.HTTP_503, 3));
 * }
 * }</pre>
 */
public final class EmbeddingServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingServer.class);

    static {
        // The JDK server writes a response's headers and body apart; without TCP_NODELAY each
        // small response waits for the client's delayed ACK (~40 ms): 13x fewer requests/s.
        // Read once, when the JVM's first HttpServer is made.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final AtomicInteger SERVERS = new AtomicInteger();
    private static final int BACKLOG = 1024;
    private static final Duration REBIND_PATIENCE = Duration.ofSeconds(5);

    private final EmbeddingServerStats stats = new EmbeddingServerStats();
    private final ServedModels models = new ServedModels();
    private final ExecutorService workers;
    private final ScheduledThreadPoolExecutor timers;
    private final Responder responder;
    private final AtomicLong sequence = new AtomicLong();
    private final Object lock = new Object();

    private volatile EmbeddingServerOptions options;
    private volatile int port;
    private HttpServer http; // guarded by lock; null while down or closed
    private boolean closed; // guarded by lock

    private EmbeddingServer(EmbeddingServerOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        String name = "embedding-server-" + SERVERS.incrementAndGet();
        int threads = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
        this.workers = Executors.newFixedThreadPool(threads, daemonThreads(name + "-worker"));
        this.timers = new ScheduledThreadPoolExecutor(1, daemonThreads(name + "-timer"));
        this.timers.setRemoveOnCancelPolicy(true);
        this.responder = new Responder(timers, workers);
    }

    /**
     * Starts a server: loads its model, binds 127.0.0.1 on {@code options.port()} (0: a free port,
     * see {@link #port()}) and starts answering. With fail-mode {@code down} it binds, learns its
     * port and stops listening at once: {@link #up()} starts it.
     */
    public static EmbeddingServer start(EmbeddingServerOptions options) throws IOException {
        EmbeddingServer server = new EmbeddingServer(options);
        try {
            server.models.load(options.model());
            synchronized (server.lock) {
                server.port = options.port();
                server.listen();
                if (options.failMode() == FailMode.DOWN) {
                    server.stopListening();
                }
                server.options = options.withPort(server.port);
            }
            LOG.info("Embedding server on {}: {}", server.url(), server.options);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The port it listens on (the same after {@link #down()} and {@link #up()}). */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}: the base URL of both APIs. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** {@code http://127.0.0.1:PORT/api/embed}. */
    public URI ollamaUrl() {
        return url().resolve(OllamaApi.PATH);
    }

    /** {@code http://127.0.0.1:PORT/v1/embeddings}. */
    public URI openAiUrl() {
        return url().resolve(OpenAiApi.PATH);
    }

    /** The settings now. */
    public EmbeddingServerOptions options() {
        return options;
    }

    /**
     * Changes the settings while the server runs: requests that arrive afterwards see the new ones,
     * requests in progress keep theirs. Restarts the {@code fail-every} count. Changing the
     * fail-mode to {@code down} stops listening; away from it, listens again on the same port.
     *
     * @return the new settings
     * @throws IllegalArgumentException when the change alters the port
     * @throws UncheckedIOException when the port cannot be bound again
     */
    public EmbeddingServerOptions configure(UnaryOperator<EmbeddingServerOptions> change) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the server is closed");
            }
            EmbeddingServerOptions next = change.apply(options);
            if (next.port() != port) {
                throw new IllegalArgumentException(
                        "the port cannot change while the server runs: " + port);
            }
            if (next.model() != options.model()) {
                models.load(next.model());
            }
            EmbeddingServerOptions before = options;
            options = next;
            sequence.set(0);
            try {
                if (next.failMode() == FailMode.DOWN && http != null) {
                    stopListening();
                } else if (next.failMode() != FailMode.DOWN && http == null) {
                    listen();
                }
            } catch (IOException e) {
                options = before.withFailMode(FailMode.DOWN);
                throw new UncheckedIOException("Cannot listen on " + url() + " again", e);
            }
            if (!before.equals(next)) {
                LOG.info("Embedding server on {} reconfigured: {}", url(), next);
            }
            return next;
        }
    }

    /**
     * Stops listening, as if the process died: new connections are refused, open ones (requests in
     * progress, hung ones) are closed without an answer.
     */
    public void down() {
        configure(o -> o.withFailMode(FailMode.DOWN));
    }

    /** Listens again on the same port (fail-mode back to none) when down; else nothing. */
    public void up() {
        configure(o -> o.failMode() == FailMode.DOWN ? o.withFailMode(FailMode.NONE) : o);
    }

    /** {@link #down()} now and {@link #up()} after {@code duration}. */
    public void downFor(Duration duration) {
        down();
        upAfter(duration);
    }

    /** Whether it is listening. */
    public boolean isUp() {
        synchronized (lock) {
            return http != null;
        }
    }

    /** The counters; {@code stats().snapshot()} reads them, {@code stats().reset()} zeroes them. */
    public EmbeddingServerStats stats() {
        return stats;
    }

    /** Stops listening, drops open connections, releases the model; idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (http != null) {
                stopListening();
            }
        }
        responder.dropPending();
        responder.dropHanging();
        timers.shutdownNow();
        workers.shutdownNow();
        models.close();
        LOG.info("Embedding server on {} closed", url());
    }

    @Override
    public String toString() {
        return "EmbeddingServer{" + url() + ", " + options + (isUp() ? "" : ", down") + "}";
    }

    void upAfter(Duration duration) {
        timers.schedule(
                () -> {
                    try {
                        up();
                    } catch (RuntimeException e) {
                        LOG.warn("Embedding server on {} could not come up again", url(), e);
                    }
                },
                duration.toNanos(),
                TimeUnit.NANOSECONDS);
    }

    Responder responder() {
        return responder;
    }

    ServedModels models() {
        return models;
    }

    /** 1, 2, 3, ... since the last {@link #configure}: picks the requests to fail. */
    long nextSequence() {
        return sequence.incrementAndGet();
    }

    /** Binds {@link #port} (a free one when 0) and starts serving; holds {@code lock}. */
    private void listen() throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + REBIND_PATIENCE.toNanos();
        HttpServer server;
        while (true) {
            try {
                server = HttpServer.create(address, BACKLOG);
                break;
            } catch (BindException e) {
                if (port == 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                sleepQuietly(50); // a socket of the last run may still be closing
            }
        }
        server.createContext(OllamaApi.PATH, new EmbedHandler(new OllamaApi(), this));
        server.createContext(OpenAiApi.PATH, new EmbedHandler(new OpenAiApi(), this));
        server.createContext("/admin/", new AdminHandler(this));
        server.createContext("/", new InfoHandler(this));
        server.setExecutor(workers);
        server.start();
        port = server.getAddress().getPort();
        http = server;
    }

    /** Closes the listener and every open connection; holds {@code lock}. */
    private void stopListening() {
        http.stop(0);
        http = null;
        responder.dropPending();
        responder.dropHanging();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
