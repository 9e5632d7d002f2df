package io.ragstream.search;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.sink.DirectWriter;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve-search} over rows in the real PostgreSQL, with the real model: the answer is {@code
 * search --json}'s, a request without a tenant (or with a wrong k, mode or body) is refused with a
 * reason, a tenant never sees another's rows, a repeated query is not embedded again, and
 * concurrent clients are all answered.
 */
class SearchServiceIT {
    private static final TestServices SERVICES = new TestServices("search_service");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> TEXTS =
            List.of(
                    "Glaciers carve U-shaped valleys as the ice grinds the bedrock.",
                    "A sourdough starter is a culture of wild yeast and lactic acid bacteria.",
                    "Tides are caused mainly by the Moon's gravity pulling on the oceans.");

    private static CachedQueryEmbedder model;
    private static Searcher searcher;
    private static SearchService service;

    @BeforeAll
    static void indexAndServe() throws Exception {
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(SERVICES.config(), OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables();
        model = new CachedQueryEmbedder(OnnxMiniLmEmbedder.shared(), 100);
        List<DocumentUpdate> updates = new ArrayList<>();
        List<float[]> vectors = OnnxMiniLmEmbedder.shared().embed(TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            ChunkRow chunk =
                    new ChunkRow(
                            0, TEXTS.get(i), DocumentChunker.sha256(TEXTS.get(i)), vectors.get(i));
            updates.add(new DocumentUpdate("acme", "doc-" + i, 1, false, "{}", List.of(chunk)));
        }
        try (DirectWriter writer = new DirectWriter(pg)) {
            writer.write(updates);
        }
        searcher = new Searcher(pg, SearchOptions.defaults(), model);
        service =
                new SearchService(
                        searcher,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        4,
                        SearchMode.HYBRID,
                        100);
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
            searcher.close();
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
        assertRefused(
                post("{\"tenant\": \"acme\", \"query\": \"" + "x".repeat(70_000) + "\"}"),
                413,
                "at most");
        HttpResponse<String> get =
                HTTP.send(
                        HttpRequest.newBuilder(uri("/search")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
        assertRefused(get, 405, "POST");
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
        HttpResponse<String> health =
                HTTP.send(
                        HttpRequest.newBuilder(uri("/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    private static void assertRefused(HttpResponse<String> response, int status, String reason)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(reason);
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri("/search"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }
}
