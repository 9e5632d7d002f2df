package io.ragstream.search;

import io.ragstream.config.SearchMode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code serve-search}: the searches of {@code bin/ragstream search} over HTTP/JSON. {@code POST
 * /search} takes {@code {"tenant": "...", "queries": ["..."], "k": 10, "mode": "hybrid"}} ({@code
 * "query": "..."} for one) and answers a {@link SearchAnswer}, the JSON of {@code search --json}. A
 * failed search is answered with {@code {"error": "..."}} and a status that says whose fault it is
 * ({@link SearchException.Fault}): 400 for the request (no tenant, a field of the wrong type, k or
 * the number of queries out of bounds, an unknown mode), 503 while the database or the embedding
 * backend cannot answer (unreachable, search.timeout ran out), 500 for the service's own setup.
 * {@code GET /health} answers 200 while the service runs (liveness), {@code GET /ready} 200 while
 * PostgreSQL answers too and 503 while it does not (readiness). With {@link TenantTokens} (the
 * current ones of a {@link TokensFile}) a search needs a bearer token: none or an unknown one is
 * answered 401 before the body is read, one that does not open the request's tenant 403.
 *
 * <p>Requests are read and parsed on a pool of connection threads, then searched and answered a
 * fixed number at a time, the tenants in turn ({@link SearchTurns}: a tenant with {@code
 * --max-waiting} searches waiting already is answered 503 at once); the {@link Searcher} pools the
 * database connections. A client that sends its request slowly or not at all (a dead network, an
 * attack) then holds only a connection thread, until the request time runs out, and never a turn to
 * search: when the few search threads also read the requests, five such clients stalled every
 * search for as long as they stayed.
 */
public final class SearchService implements AutoCloseable {
    static {
        // read once, when the JDK server's classes load, so an operator's -D wins:
        // the server leaves Nagle's algorithm on, and a small answer then waits for the client's
        // delayed ACK, about 40 ms per request
        setIfUnset("sun.net.httpserver.nodelay", "true");
        // a request not read whole 10 s after it arrived is cut, so slow clients free their
        // connection threads. (maxRspTime would also count the search, so it is left unset.)
        setIfUnset("sun.net.httpserver.maxReqTime", "10");
    }

    private static void setIfUnset(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(SearchService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Queries are short: a larger body is a mistake or an attack, not a search. */
    static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final Searcher searcher;
    private final SearchMode defaultMode;
    private final Limits limits;
    private final Supplier<TenantTokens> tokens;
    private final HttpServer server;
    private final ExecutorService connectionThreads;
    private final SearchTurns searchTurns;

    public SearchService(
            Searcher searcher,
            InetSocketAddress address,
            int threadCount,
            SearchMode defaultMode,
            Limits limits)
            throws IOException {
        this(searcher, address, threadCount, defaultMode, limits, () -> TenantTokens.OPEN);
    }

    public SearchService(
            Searcher searcher,
            InetSocketAddress address,
            int threadCount,
            SearchMode defaultMode,
            Limits limits,
            Supplier<TenantTokens> tokens)
            throws IOException {
        this.searcher = searcher;
        this.defaultMode = defaultMode;
        this.limits = limits;
        this.tokens = tokens;
        this.connectionThreads = Executors.newFixedThreadPool(Math.max(64, 4 * threadCount));
        this.searchTurns = new SearchTurns(threadCount, limits.maxWaiting());
        this.server = HttpServer.create(address, 64);
        server.createContext("/search", this::search);
        server.createContext("/health", e -> reply(e, 200, Map.of("status", "ok")));
        server.createContext("/ready", this::ready);
        server.setExecutor(connectionThreads);
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

    /**
     * What one request may ask (each query is embedded and searched, so a request of thousands
     * would hold a thread and the cores for minutes while every other client waits), and how many
     * of a tenant's searches may wait for a turn.
     */
    public record Limits(int maxK, int maxQueries, int maxWaiting) {
        public static final Limits DEFAULTS = new Limits(100, 32, 256);

        public Limits {
            if (maxK < 1 || maxQueries < 1 || maxWaiting < 1) {
                throw new IllegalArgumentException(
                        "maxK, maxQueries and maxWaiting must be at least 1, were "
                                + maxK
                                + ", "
                                + maxQueries
                                + ", "
                                + maxWaiting);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Checks the token, reads and parses the request, checks the tenant, then searches and answers
     * it in its turn.
     */
    private void search(HttpExchange exchange) throws IOException {
        TenantTokens.Grant grant =
                tokens.get().grant(exchange.getRequestHeaders().getFirst("Authorization"));
        if (grant == null) {
            try (exchange) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                reply(
                        exchange,
                        401,
                        error(
                                "a search needs a bearer token (Authorization: Bearer TOKEN) that"
                                        + " serve-search --tokens lists"));
            }
            return;
        }
        JsonNode request;
        try {
            request = read(exchange);
        } catch (IOException | RuntimeException e) { // the client is gone
            exchange.close();
            throw e;
        }
        if (request == null) {
            exchange.close();
            return;
        }
        // a request without a valid tenant waits with the others without one, and is refused in
        // its turn
        String tenant = request.path("tenant").asText("");
        if (request.path("tenant").isTextual() && !grant.allows(tenant)) {
            try (exchange) {
                reply(
                        exchange,
                        403,
                        error("this token may not search tenant '" + abbreviated(tenant) + "'"));
            }
            return;
        }
        if (!searchTurns.take(tenant, () -> answer(exchange, request))) {
            try (exchange) {
                exchange.getResponseHeaders().set("Retry-After", "1");
                reply(
                        exchange,
                        503,
                        error(
                                "tenant '"
                                        + abbreviated(tenant)
                                        + "' has "
                                        + limits.maxWaiting()
                                        + " searches waiting already (serve-search --max-waiting):"
                                        + " retry later"));
            }
        }
    }

    /** The request's JSON, or null once a refusal is answered (not a POST, not JSON, too large). */
    private static JsonNode read(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            reply(exchange, 405, error("POST a JSON search to /search"));
            return null;
        }
        try {
            JsonNode request = JSON.readTree(body(exchange.getRequestBody()));
            return request == null ? MissingNode.getInstance() : request; // null: an empty body
        } catch (JsonProcessingException e) {
            reply(exchange, 400, error("the body is not JSON: " + e.getOriginalMessage()));
        } catch (TooLarge e) {
            reply(
                    exchange,
                    413,
                    error("a search request is at most " + MAX_REQUEST_BYTES + " bytes"));
        }
        return null;
    }

    /** The search, and the answer or the failure's status and reason. */
    private void answer(HttpExchange exchange, JsonNode request) {
        try (exchange) {
            try {
                reply(exchange, 200, answer(request));
            } catch (SearchException e) {
                if (e.fault() != SearchException.Fault.REQUEST) {
                    LOG.warn("search failed ({}): {}", e.fault(), e.getMessage());
                }
                reply(exchange, status(e.fault()), error(e.getMessage()));
            } catch (Exception e) {
                LOG.warn("search failed", e);
                reply(exchange, 500, error("search failed: " + e.getMessage()));
            }
        } catch (IOException e) {
            LOG.debug("the client left before its answer", e);
        }
    }

    /** 200 while PostgreSQL answers, 503 with the reason while it does not (a readiness probe). */
    private void ready(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                searcher.ping();
                reply(exchange, 200, Map.of("status", "ready"));
            } catch (SearchException e) {
                reply(exchange, status(e.fault()), error(e.getMessage()));
            }
        }
    }

    static int status(SearchException.Fault fault) {
        return switch (fault) {
            case REQUEST -> 400;
            case UNAVAILABLE -> 503;
            case SETUP -> 500;
        };
    }

    /**
     * The search a request asks for; a field of the wrong JSON type is refused by name rather than
     * read as something else (a k of "ten" is not 10).
     */
    private SearchAnswer answer(JsonNode request) throws Exception {
        if (request == null || !request.isObject()) {
            throw SearchException.badRequest("a search is a JSON object");
        }
        JsonNode tenantField = request.path("tenant");
        if (!tenantField.isTextual() || tenantField.asText().isBlank()) {
            throw SearchException.badRequest("a search needs a tenant, as a JSON string");
        }
        String tenant = tenantField.asText();
        List<String> queries = new ArrayList<>();
        if (request.has("query")) {
            queries.add(text(request.get("query"), "query"));
        }
        if (request.has("queries")) {
            JsonNode list = request.get("queries");
            if (!list.isArray()) {
                throw SearchException.badRequest("queries must be a JSON array of strings");
            }
            list.forEach(q -> queries.add(text(q, "each of queries")));
        }
        if (queries.size() > limits.maxQueries()) {
            throw SearchException.badRequest(
                    "a search has at most "
                            + limits.maxQueries()
                            + " queries (serve-search --max-queries), had "
                            + queries.size());
        }
        int k = request.has("k") ? k(request.get("k")) : Math.min(10, limits.maxK());
        SearchMode mode =
                request.has("mode") ? mode(text(request.get("mode"), "mode")) : defaultMode;
        List<SearchHit> hits = searcher.searchAll(tenant, queries, k, mode);
        return SearchAnswer.of(tenant, queries, k, mode, hits);
    }

    private static String text(JsonNode value, String field) {
        if (!value.isTextual()) {
            throw SearchException.badRequest(
                    field
                            + " must be a JSON string, was "
                            + value.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return value.asText();
    }

    private int k(JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw SearchException.badRequest(
                    "k must be a whole number between 1 and "
                            + limits.maxK()
                            + ", was "
                            + abbreviated(value.toString()));
        }
        int k = value.intValue();
        if (k < 1 || k > limits.maxK()) {
            throw SearchException.badRequest(
                    "k must be between 1 and " + limits.maxK() + ", was " + k);
        }
        return k;
    }

    private static SearchMode mode(String value) {
        for (SearchMode m : SearchMode.values()) {
            if (m.toString().equalsIgnoreCase(value.strip())) {
                return m;
            }
        }
        throw SearchException.badRequest(
                "mode must be vector, text or hybrid, was '" + abbreviated(value) + "'");
    }

    /** A value quoted back to the client, cut short: it may be as long as the body. */
    private static String abbreviated(String value) {
        return value.length() <= 80 ? value : value.substring(0, 80) + "...";
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
        connectionThreads.shutdownNow();
    }
}
