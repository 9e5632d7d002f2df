package io.ragstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's HTTP server on 127.0.0.1 and a free port, answering with queued replies (the last one
 * repeats), or never until closed ({@link #hang()}); it records what it receives.
 */
public final class StubHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Request(String method, String path, Headers headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    private record Reply(int status, String body, Map<String, String> headers, boolean hang) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Reply> replies = new ArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);

    public StubHttpServer() {
        try {
            server =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Replaces the queued replies with this one. */
    public StubHttpServer reply(int status, String body) {
        return reply(status, body, Map.of());
    }

    public StubHttpServer reply(int status, String body, Map<String, String> headers) {
        synchronized (replies) {
            replies.clear();
            return then(status, body, headers);
        }
    }

    /** Queues one more reply after the ones already queued. */
    public StubHttpServer then(int status, String body) {
        return then(status, body, Map.of());
    }

    private StubHttpServer then(int status, String body, Map<String, String> headers) {
        synchronized (replies) {
            replies.add(new Reply(status, body, headers, false));
        }
        return this;
    }

    /** Answers nothing until the server is closed. */
    public StubHttpServer hang() {
        synchronized (replies) {
            replies.clear();
            replies.add(new Reply(0, "", Map.of(), true));
        }
        return this;
    }

    public List<Request> requests() {
        return requests;
    }

    public void awaitRequests(int n) {
        Awaitility.await("the server's " + n + " requests")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> requests.size() >= n);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body =
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Reply reply;
            synchronized (replies) {
                if (replies.isEmpty()) {
                    reply =
                            new Reply(
                                    500,
                                    "{\"error\":\"no reply queued in the test\"}",
                                    Map.of(),
                                    false);
                } else {
                    reply = replies.size() > 1 ? replies.remove(0) : replies.get(0);
                }
            }
            requests.add(
                    new Request(
                            exchange.getRequestMethod(),
                            exchange.getRequestURI().getPath(),
                            exchange.getRequestHeaders(),
                            body));
            if (reply.hang()) {
                released.await(30, TimeUnit.SECONDS);
                return;
            }
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders()
                    .set(
                            "Content-Type",
                            reply.body().startsWith("<") ? "text/html" : "application/json");
            reply.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
