package io.ragstream.search;

import io.ragstream.chunk.DocumentChunker;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.TcpProxy;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code serve-search} over rows in the real PostgreSQL, with the real model: the answer is {@code
 * search --json}'s, a request without a tenant (or with a wrong k, mode, field type, NUL character,
 * too many queries or body) is refused 400 with a reason, a tenant never sees another's rows, a
 * repeated query is not embedded again, concurrent clients are all answered, and a database that is
 * locked, black-holed or down gives 503 within search.timeout instead of a stuck thread.
 */
class SearchServiceIT {
    private static final TestServices SERVICES = new TestServices("search_service");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PgVectorSinkOptions pg;
    private static CachedQueryEmbedder model;
    private static ServedSearch served;

    @BeforeAll
    static void indexAndServe() throws Exception {
        pg = ServedSearch.index(SERVICES);
        model = new CachedQueryEmbedder(OnnxMiniLmEmbedder.shared(), 100);
        served = ServedSearch.serve(new Searcher(pg, SearchOptions.defaults(), model));
    }

    @AfterAll
    static void stop() throws Exception {
        if (served != null) {
            served.close();
            model.close();
        }
        SERVICES.dropTables();
    }

    @Test
    void answersAsSearchJsonDoes() throws Exception {
        HttpResponse<String> response =
                post(
                        "{\"tenant\": \"acme\", \"query\": \"why does the sea rise and fall\", \"k\": 2}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.get("tenant").asText()).isEqualTo("acme");
        assertThat(answer.get("mode").asText()).as("the default mode").isEqualTo("hybrid");
        assertThat(answer.get("scoring").asText()).isEqualTo("relative-score");
        assertThat(answer.get("hits")).hasSize(2);
        assertThat(answer.get("hits").get(0).get("docId").asText()).isEqualTo("doc-2");
        assertThat(answer.get("hits").get(0).get("rank").asInt()).isEqualTo(1);

        JsonNode several =
                JSON.readTree(
                        post("{\"tenant\": \"acme\", \"queries\": [\"ice and valleys\", \"bread yeast\"],"
                                        + " \"mode\": \"vector\", \"k\": 2}")
                                .body());
        assertThat(several.get("scoring").asText()).isEqualTo("rrf");
        assertThat(several.get("hits"))
                .extracting(h -> h.get("docId").asText())
                .containsExactlyInAnyOrder("doc-0", "doc-1");
    }

    @Test
    void refusesWhatIsNotASearchWithAReason() throws Exception {
        assertRefused(post("{\"query\": \"tides\"}"), 400, "a search needs a tenant");
        assertRefused(
                post("{\"tenant\": \" \", \"query\": \"tides\"}"), 400, "a search needs a tenant");
        assertRefused(post("{\"tenant\": \"acme\"}"), 400, "at least one query");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"k\": 0}"), 400, "k must be");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"k\": 1000}"),
                400,
                "k must be");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"mode\": \"fuzzy\"}"),
                400,
                "mode");
        assertRefused(post("{\"tenant\": "), 400, "not JSON");
        assertRefused(post("[1, 2]"), 400, "a JSON object");
        assertRefused(post(""), 400, "a JSON object");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"" + "x".repeat(70_000) + "\"}"),
                413,
                "at most");
        assertRefused(served.get("/search"), 405, "POST");
    }

    @Test
    void refusesAFieldOfTheWrongTypeByNameRatherThanReadingItAsSomethingElse() throws Exception {
        assertRefused(
                post("{\"tenant\": 42, \"query\": \"tides\"}"), 400, "tenant, as a JSON string");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": [\"tides\"]}"),
                400,
                "query must be a JSON string");
        assertRefused(
                post("{\"tenant\": \"acme\", \"queries\": \"tides\"}"),
                400,
                "queries must be a JSON array");
        assertRefused(
                post("{\"tenant\": \"acme\", \"queries\": [\"tides\", 7]}"),
                400,
                "each of queries must be a JSON string, was number");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"k\": \"ten\"}"),
                400,
                "k must be a whole number");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"k\": 2.5}"),
                400,
                "k must be a whole number");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"k\": 99999999999}"),
                400,
                "k must be a whole number");
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"tides\", \"mode\": 1}"),
                400,
                "mode must be a JSON string");
    }

    @Test
    void refusesANulCharacterAndMoreQueriesThanTheLimit() throws Exception {
        assertRefused(
                post("{\"tenant\": \"ac\\u0000me\", \"query\": \"tides\"}"), 400, "NUL character");
        for (String mode : List.of("vector", "text", "hybrid")) {
            assertRefused(
                    post(
                            "{\"tenant\": \"acme\", \"query\": \"ti\\u0000des\", \"mode\": \""
                                    + mode
                                    + "\"}"),
                    400,
                    "NUL character");
        }
        List<String> queries = new ArrayList<>();
        for (int i = 0; i <= SearchService.Limits.DEFAULTS.maxQueries(); i++) {
            queries.add("\"tide " + i + "\"");
        }
        assertRefused(
                post("{\"tenant\": \"acme\", \"queries\": [" + String.join(", ", queries) + "]}"),
                400,
                "at most " + SearchService.Limits.DEFAULTS.maxQueries() + " queries");
        queries.remove(0);
        assertThat(
                        post("{\"tenant\": \"acme\", \"queries\": ["
                                        + String.join(", ", queries)
                                        + "]}")
                                .statusCode())
                .as("the limit itself is allowed")
                .isEqualTo(200);
    }

    /**
     * A search PostgreSQL cannot finish within search.timeout (here a table another session holds
     * locked) is answered 503 naming the setting, soon after the timeout, in every mode and for a
     * tenant not checked yet; once the lock goes, the same search is answered.
     */
    @Test
    void aSearchThatOutrunsTheTimeoutIsUnavailableNotStuck() throws Exception {
        try (ServedSearch timed = ServedSearch.serve(searcher(pg.url(), Duration.ofSeconds(1)));
                Connection locker = TestServices.connect()) {
            assertThat(timed.post(request("acme", "hybrid")).statusCode()).isEqualTo(200);
            lockTheChunksTable(locker);
            for (String request :
                    List.of(
                            request("acme", "vector"),
                            request("acme", "text"),
                            request("acme", "hybrid"),
                            request("initech", "vector"))) {
                long start = System.nanoTime();
                HttpResponse<String> answer = timed.post(request);
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertRefused(answer, 503, "took longer than search.timeout (1 s)");
                assertThat(took).as(request).isLessThan(Duration.ofSeconds(4));
            }
            locker.rollback();
            assertThat(timed.post(request("acme", "hybrid")).statusCode()).isEqualTo(200);
        }
    }

    /**
     * One search turn, held by a search of acme that waits on a locked table, and at most 2 of a
     * tenant's searches waiting: of 6 more acme sends at once, 2 wait and 4 are answered 503 at
     * once (Retry-After, naming --max-waiting), while the lock is still held; a search of initech
     * sent after them still gets its place, and once the lock goes every search that waited is
     * answered.
     */
    @Test
    void aTenantsBurstPastItsBacklogIsRefusedAtOnceAndOtherTenantsStillWait() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (ServedSearch one =
                        ServedSearch.serve(
                                searcher(pg.url(), Duration.ofSeconds(30)),
                                1,
                                new SearchService.Limits(100, 32, 2));
                Connection locker = TestServices.connect()) {
            for (String tenant : List.of("acme", "initech")) { // each tenant's table check done
                assertThat(one.post(request(tenant, "vector")).statusCode()).isEqualTo(200);
            }
            lockTheChunksTable(locker);
            Future<HttpResponse<String>> holding =
                    clients.submit(() -> one.post(request("acme", "vector")));
            await().atMost(Duration.ofSeconds(30)).until(() -> searchesWaitingOnALock() == 1);

            List<Future<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                burst.add(clients.submit(() -> one.post(request("acme", "vector"))));
            }
            List<HttpResponse<String>> refused = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> burst.stream().filter(Future::isDone).count() == 4);
            for (Future<HttpResponse<String>> answer : burst) {
                if (answer.isDone()) {
                    refused.add(answer.get());
                }
            }
            Future<HttpResponse<String>> otherTenant =
                    clients.submit(() -> one.post(request("initech", "vector")));
            Thread.sleep(500);
            assertThat(otherTenant).as("initech's search, waiting for the turn").isNotDone();
            assertThat(searchesWaitingOnALock()).as("still searching: only the first").isEqualTo(1);
            for (HttpResponse<String> answer : refused) {
                assertRefused(answer, 503, "has 2 searches waiting already");
                assertThat(answer.body()).contains("--max-waiting");
                assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
            }

            locker.rollback();
            assertThat(holding.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(otherTenant.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            for (Future<HttpResponse<String>> answer : burst) {
                assertThat(answer.get(30, TimeUnit.SECONDS).statusCode()).isIn(200, 503);
            }
            assertThat(burst.stream().filter(a -> status(a) == 200).count())
                    .as("acme's searches that waited")
                    .isEqualTo(2);
        } finally {
            clients.shutdownNow();
        }
    }

    private static int status(Future<HttpResponse<String>> answer) {
        try {
            return answer.get().statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Locks this test's chunks table in {@code locker}'s transaction, until it rolls back. */
    private static void lockTheChunksTable(Connection locker) throws Exception {
        locker.setAutoCommit(false);
        try (Statement st = locker.createStatement()) {
            st.execute("LOCK TABLE \"" + SERVICES.chunksTable + "\" IN ACCESS EXCLUSIVE MODE");
        }
    }

    /** Sessions of this test's user waiting for a lock on a table: the searches held up. */
    private static long searchesWaitingOnALock() throws Exception {
        return TestServices.count(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%"
                        + SERVICES.chunksTable
                        + "%'");
    }

    /**
     * A connection that goes silent (a dead route: no reset, no close) frees its thread once
     * search.timeout and the grace after it have passed, answered 503; the other threads answer
     * meanwhile, and once the route heals the service searches again on fresh connections.
     */
    @Test
    void aBlackHoledConnectionIsUnavailableAfterTheTimeoutAndTheServiceRecovers() throws Exception {
        URI server = URI.create(pg.url().substring("jdbc:".length()));
        try (TcpProxy proxy = TcpProxy.start(server.getHost(), server.getPort());
                ServedSearch timed =
                        ServedSearch.serve(
                                searcher(proxy.proxied(pg.url()), Duration.ofSeconds(1)))) {
            assertThat(timed.post(request("acme", "vector")).statusCode()).isEqualTo(200);
            proxy.blackHole();
            long start = System.nanoTime();
            HttpResponse<String> answer = timed.post(request("acme", "vector"));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertRefused(answer, 503, "search.timeout");
            assertThat(took)
                    .as("pgjdbc gives up after twice its socketTimeout, search.timeout + grace")
                    .isLessThan(
                            Duration.ofSeconds(1)
                                    .plus(SearchOptions.SILENCE_GRACE)
                                    .multipliedBy(2)
                                    .plusSeconds(3));
            assertThat(timed.get("/health").statusCode()).isEqualTo(200);
            proxy.heal();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () ->
                                    assertThat(timed.post(request("acme", "vector")).statusCode())
                                            .isEqualTo(200));
        }
    }

    /**
     * Clients that send a request slowly or not at all, more of them than the service has search
     * threads, do not delay a well-behaved client, and are cut off once the request time runs out
     * (sun.net.httpserver.maxReqTime, which the integration tests set to 2 s). Before, they held
     * the search threads and stalled every search for as long as they stayed.
     */
    @Test
    void slowClientsAreCutOffAndDoNotStallTheOthers() throws Exception {
        int maxRequestSeconds = Integer.getInteger("sun.net.httpserver.maxReqTime", 10);
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i <= 4; i++) { // one more than the service's threads
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), served.service.port());
                socket.getOutputStream()
                        .write(
                                ("POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"te")
                                        .getBytes(StandardCharsets.US_ASCII));
                slow.add(socket);
            }
            long start = System.nanoTime();
            HttpResponse<String> answer = post(request("acme", "vector"));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(took)
                    .as("answered without waiting for the slow clients to be cut off")
                    .isLessThan(Duration.ofSeconds(maxRequestSeconds));
            for (Socket socket : slow) {
                assertThat(closedByServer(socket)).as("the slow client's connection").isTrue();
            }
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    /** Whether the server closed the socket: an end of stream or a reset, within 5 s. */
    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketException e) { // closed with our unread request in its buffer
            return true;
        }
    }

    @Test
    void anUnreachableDatabaseIsUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI server = URI.create(pg.url().substring("jdbc:".length()));
        String unreachable =
                pg.url()
                        .replace(
                                server.getHost() + ":" + server.getPort(),
                                "127.0.0.1:" + closedPort);
        try (ServedSearch down = ServedSearch.serve(searcher(unreachable, Duration.ofSeconds(1)))) {
            assertRefused(down.post(request("acme", "hybrid")), 503, "is not reachable");
            assertRefused(down.get("/ready"), 503, "is not reachable");
            assertThat(down.get("/health").statusCode())
                    .as("alive, though not ready")
                    .isEqualTo(200);
        }
    }

    /**
     * A database that takes connections but never answers, as a hung server or a half-open route
     * does, from before the service's first search: 8 searches at once are all answered 503, but
     * only one at a time waits out a connection attempt (postgres.connect-timeout, 2 s here).
     * Before, each search made an attempt of its own, one after another, so the eighth waited for
     * eight. Once the database answers, so does the service.
     */
    @Test
    void whileTheDatabaseIsUnreachableOneSearchAtATimeTriesIt() throws Exception {
        URI server = URI.create(pg.url().substring("jdbc:".length()));
        int searches = 8;
        ExecutorService clients = Executors.newFixedThreadPool(searches);
        try (TcpProxy proxy = TcpProxy.start(server.getHost(), server.getPort())) {
            proxy.blackHole();
            try (ServedSearch hung =
                    ServedSearch.serve(searcher(proxy.proxied(pg.url()), Duration.ofSeconds(1)))) {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int i = 0; i < searches; i++) {
                    answers.add(clients.submit(() -> hung.post(request("acme", "vector"))));
                }
                for (Future<HttpResponse<String>> answer : answers) {
                    assertRefused(answer.get(2, TimeUnit.MINUTES), 503, "is not reachable");
                }
                System.out.printf(
                        "%d searches at once against a hung database: %d connection attempts%n",
                        searches, proxy.accepted());
                assertThat(proxy.accepted())
                        .as("connection attempts for %d searches at once", searches)
                        .isLessThanOrEqualTo(searches / 2);

                proxy.heal();
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(
                                () ->
                                        assertThat(
                                                        hung.post(request("acme", "vector"))
                                                                .statusCode())
                                                .isEqualTo(200));
            }
        } finally {
            clients.shutdownNow();
        }
    }

    /**
     * A searcher over this test's tables at {@code url}, with {@code timeout} as search.timeout.
     */
    private static Searcher searcher(String url, Duration timeout) {
        PgVectorSinkOptions options =
                PgVectorSinkOptions.from(
                        SERVICES.config("postgres.url=" + url, "postgres.connect-timeout=2s"),
                        OnnxMiniLmEmbedder.DIMENSION);
        return new Searcher(
                options,
                new SearchOptions(
                        SearchOptions.defaults().efSearch(),
                        SearchOptions.defaults().rerankFactor(),
                        timeout),
                model);
    }

    private static String request(String tenant, String mode) {
        return "{\"tenant\": \""
                + tenant
                + "\", \"query\": \"moon and tides\", \"mode\": \""
                + mode
                + "\"}";
    }

    @Test
    void aTenantNeverSeesAnothersRows() throws Exception {
        for (String mode : List.of("vector", "text", "hybrid")) {
            JsonNode answer =
                    JSON.readTree(
                            post("{\"tenant\": \"globex\", \"query\": \"tides moon oceans\", \"mode\": \""
                                            + mode
                                            + "\"}")
                                    .body());
            assertThat(answer.get("hits")).as(mode).isEmpty();
        }
    }

    @Test
    void withTokensASearchNeedsOneThatOpensItsTenant() throws Exception {
        TenantTokens tokens =
                TenantTokens.parse(
                        List.of(
                                "acme " + DocumentChunker.sha256Hex("acme-secret"),
                                "globex " + DocumentChunker.sha256Hex("globex-secret"),
                                "* " + DocumentChunker.sha256Hex("ops-secret")),
                        "tokens");
        try (ServedSearch guarded =
                ServedSearch.serve(
                        new Searcher(pg, SearchOptions.defaults(), model),
                        4,
                        SearchService.Limits.DEFAULTS,
                        tokens)) {
            String acme = request("acme", "vector");
            for (String unknown : new String[] {null, "Bearer wrong", "Basic acme-secret"}) {
                HttpResponse<String> refused = guarded.post(acme, unknown);
                assertThat(refused.statusCode()).as(unknown).isEqualTo(401);
                assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
                assertThat(refused.body()).contains("bearer token").doesNotContain("secret");
            }
            HttpResponse<String> otherTenant = guarded.post(acme, "Bearer globex-secret");
            assertThat(otherTenant.statusCode()).isEqualTo(403);
            assertThat(otherTenant.body())
                    .contains("may not search tenant 'acme'")
                    .doesNotContain("secret");
            assertThat(guarded.post("{\"query\": \"tides\"}", "Bearer acme-secret").statusCode())
                    .as("no tenant: refused as before")
                    .isEqualTo(400);

            for (String allowed : new String[] {"Bearer acme-secret", "bearer ops-secret"}) {
                HttpResponse<String> answer = guarded.post(acme, allowed);
                assertThat(answer.statusCode()).as(allowed).isEqualTo(200);
                assertThat(JSON.readTree(answer.body()).get("hits").get(0).get("docId").asText())
                        .isEqualTo("doc-2");
            }
            assertThat(guarded.get("/health").statusCode())
                    .as("probes need no token")
                    .isEqualTo(200);
            assertThat(guarded.get("/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aRepeatedQueryIsNotEmbeddedAgain() throws Exception {
        String request =
                "{\"tenant\": \"acme\", \"query\": \"sourdough culture\", \"mode\": \"vector\"}";
        post(request);
        long misses = model.misses();
        long hits = model.hits();

        assertThat(post(request).statusCode()).isEqualTo(200);
        assertThat(model.misses()).isEqualTo(misses);
        assertThat(model.hits()).isEqualTo(hits + 1);
    }

    @Test
    void concurrentClientsAreAllAnswered() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String query =
                        List.of("glacier", "yeast", "moon", "valley").get(i % 4) + " " + (i % 5);
                statuses.add(
                        clients.submit(
                                () ->
                                        post("{\"tenant\": \"acme\", \"query\": \"" + query + "\"}")
                                                .statusCode()));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(served.get("/health").statusCode()).isEqualTo(200);
        assertThat(served.get("/ready").statusCode()).isEqualTo(200);
    }

    private static void assertRefused(HttpResponse<String> response, int status, String reason)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(reason);
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return served.post(body);
    }
}
