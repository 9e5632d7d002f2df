package io.ragstream.search;

import io.ragstream.config.SearchMode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code serve-search}: the searches of {@code bin/ragstream search} over HTTP/JSON. {@code POST
 * /search} takes {@code {"tenant": "...", "queries": ["..."], "k": 10, "mode": "hybrid"}} ({@code
 * "query": "..."} for one) and answers a {@link SearchAnswer}, the JSON of {@code search --json}; a
 * request without a tenant, query or valid k or mode is answered 400 with {@code {"error": "..."}}.
 * {@code GET /health} answers 200. Each request runs on one of a fixed number of threads, the
 * others wait in arrival order; the {@link Searcher} pools the connections.
 */
public final class SearchService implements AutoCloseable {
    static {
        // the JDK server leaves Nagle's algorithm on: a small answer then waits for the client's
        // delayed ACK, about 40 ms per request; read once, when the server's classes load
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(SearchService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Queries are short: a larger body is a mistake or an attack, not a search. */
    static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final Searcher searcher;
    private final SearchMode defaultMode;
    private final int maxK;
    private final HttpServer server;
    private final ExecutorService threads;

    public SearchService(
            Searcher searcher,
            InetSocketAddress address,
            int threadCount,
            SearchMode defaultMode,
            int maxK)
            throws IOException {
        this.searcher = searcher;
        this.defaultMode = defaultMode;
        this.maxK = maxK;
        this.threads = Executors.newFixedThreadPool(threadCount);
        this.server = HttpServer.create(address, 64);
        server.createContext("/search", this::search);
        server.createContext("/health", e -> reply(e, 200, Map.of("status", "ok")));
        server.setExecutor(threads);
        server.start();
    }

    /**
     * Twice the cores: a search is CPU work here and in PostgreSQL with a short wait between, so
     * more threads only share the cores among more searches at once, and every answer waits for all
     * of them. With 8 clients on 2 cores, over bench search's tables and queries, 4 threads gave
     * p95 22–27 ms where 8 gave 34–37 at the same throughput.
     */
    public static int defaultThreads() {
        return 2 * Runtime.getRuntime().availableProcessors();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void search(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                reply(exchange, 405, error("POST a JSON search to /search"));
                return;
            }
            JsonNode request;
            try {
                request = JSON.readTree(body(exchange.getRequestBody()));
            } catch (JsonProcessingException e) {
                reply(exchange, 400, error("the body is not JSON: " + e.getOriginalMessage()));
                return;
            } catch (TooLarge e) {
                reply(
                        exchange,
                        413,
                        error("a search request is at most " + MAX_REQUEST_BYTES + " bytes"));
                return;
            }
            try {
                reply(exchange, 200, answer(request));
            } catch (SearchException e) {
                reply(exchange, 400, error(e.getMessage()));
            } catch (Exception e) {
                LOG.warn("search failed", e);
                reply(exchange, 500, error("search failed: " + e.getMessage()));
            }
        }
    }

    private SearchAnswer answer(JsonNode request) throws Exception {
        if (request == null || !request.isObject()) {
            throw new SearchException("a search is a JSON object", null);
        }
        String tenant = request.path("tenant").asText("");
        if (tenant.isBlank()) {
            throw new SearchException("a search needs a tenant", null);
        }
        List<String> queries = new ArrayList<>();
        if (request.has("query")) {
            queries.add(request.get("query").asText());
        }
        request.path("queries").forEach(q -> queries.add(q.asText()));
        int k = request.path("k").asInt(10);
        if (k < 1 || k > maxK) {
            throw new SearchException("k must be between 1 and " + maxK + ", was " + k, null);
        }
        SearchMode mode = request.has("mode") ? mode(request.get("mode").asText()) : defaultMode;
        List<SearchHit> hits = searcher.searchAll(tenant, queries, k, mode);
        return SearchAnswer.of(tenant, queries, k, mode, hits);
    }

    private static SearchMode mode(String value) {
        for (SearchMode m : SearchMode.values()) {
            if (m.toString().equalsIgnoreCase(value.strip())) {
                return m;
            }
        }
        throw new SearchException("mode must be vector, text or hybrid, was '" + value + "'", null);
    }

    private static byte[] body(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_REQUEST_BYTES + 1);
        if (body.length > MAX_REQUEST_BYTES) {
            throw new TooLarge();
        }
        return body;
    }

    private static Map<String, String> error(String message) {
        return Map.of("error", message);
    }

    private static void reply(HttpExchange exchange, int status, Object value) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(value);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A body past the limit, found before it was read whole. */
    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
