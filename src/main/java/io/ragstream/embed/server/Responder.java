package io.ragstream.embed.server;

import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends replies, now or after a delay, without a thread sleeping meanwhile: a delayed reply is a
 * timer task that hands the write to the workers. Also holds the exchanges that are never answered
 * (fail-mode timeout) until their time is up. When the server goes down, both kinds are dropped at
 * once ({@link #dropPending()}, {@link #dropHanging()}).
 */
final class Responder {

    private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

    private final ScheduledExecutorService timers;
    private final Executor workers;
    private final Set<HttpExchange> hanging = ConcurrentHashMap.newKeySet();
    private final Set<Pending> pending = ConcurrentHashMap.newKeySet();

    Responder(ScheduledExecutorService timers, Executor workers) {
        this.timers = timers;
        this.workers = workers;
    }

    /** Sends {@code reply} now. */
    void send(HttpExchange exchange, Reply reply) {
        write(exchange, reply);
    }

    /**
     * Sends {@code reply} no sooner than {@code delayNanos} from now, then runs {@code done}
     * exactly once: also when the send fails, or when {@link #dropPending()} abandons it first.
     */
    void send(HttpExchange exchange, Reply reply, long delayNanos, Runnable done) {
        Pending waiting = new Pending(exchange, reply, done);
        if (delayNanos <= 0) {
            waiting.sendNow();
            return;
        }
        pending.add(waiting);
        try {
            timers.schedule(waiting, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            waiting.abandon();
        }
    }

    /** Closes the connections of the replies waiting out their latency, freeing their slots. */
    void dropPending() {
        for (Pending reply : pending) {
            reply.abandon();
        }
    }

    /** Never answers: the connection is closed without a response after {@code hangFor}. */
    void hang(HttpExchange exchange, Duration hangFor) {
        hanging.add(exchange);
        try {
            timers.schedule(() -> drop(exchange), hangFor.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            drop(exchange);
        }
    }

    /** Closes the connections of all exchanges left hanging. */
    void dropHanging() {
        for (HttpExchange exchange : hanging) {
            drop(exchange);
        }
    }

    int hangingCount() {
        return hanging.size();
    }

    private void drop(HttpExchange exchange) {
        if (hanging.remove(exchange)) {
            exchange.close(); // no response sent: closes the connection
        }
    }

    /** A reply waiting for its time; sent or abandoned once. */
    private final class Pending implements Runnable {
        private final HttpExchange exchange;
        private final Reply reply;
        private final Runnable done;
        private final AtomicBoolean finished = new AtomicBoolean();

        Pending(HttpExchange exchange, Reply reply, Runnable done) {
            this.exchange = exchange;
            this.reply = reply;
            this.done = done;
        }

        /** Its time has come (on the timer thread): a worker writes it. */
        @Override
        public void run() {
            try {
                workers.execute(this::sendNow);
            } catch (RejectedExecutionException e) {
                abandon();
            }
        }

        void sendNow() {
            if (finished.compareAndSet(false, true)) {
                pending.remove(this);
                // the slot is free once the answer is ready, as on a real server: freed after the
                // write, a client that answers at once could find it still taken and get a 503
                done.run();
                write(exchange, reply);
            }
        }

        void abandon() {
            if (finished.compareAndSet(false, true)) {
                pending.remove(this);
                try {
                    exchange.close();
                } finally {
                    done.run();
                }
            }
        }
    }

    private static void write(HttpExchange exchange, Reply reply) {
        try {
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            reply.headers().forEach(exchange.getResponseHeaders()::set);
            boolean noBody =
                    reply.body().length == 0
                            || "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
            exchange.sendResponseHeaders(reply.status(), noBody ? -1 : reply.body().length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(reply.body());
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client left, or the server went down meanwhile: nothing to tell anyone
            LOG.debug("Could not send a {} reply: {}", reply.status(), e.toString());
        } finally {
            exchange.close();
        }
    }
}
