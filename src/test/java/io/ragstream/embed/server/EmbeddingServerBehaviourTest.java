package io.ragstream.embed.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.ragstream.embed.server.TestHttp.floats;
import static io.ragstream.embed.server.TestHttp.post;
import static io.ragstream.embed.server.TestHttp.postAsync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The knobs of a running server, over real sockets: concurrency limit, latency, injected failures,
 * down and up, poison inputs, and changing them at run time.
 */
class EmbeddingServerBehaviourTest {

    static final String OLLAMA_REQUEST = "{\"model\": \"synthetic\", \"input\": [\"a\", \"b\"]}";
    static final String OPENAI_REQUEST = "{\"model\": \"synthetic\", \"input\": [\"a\", \"b\"]}";

    EmbeddingServer server;

    @BeforeEach
    void start() throws Exception {
        server =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void answersRequestsBeyondTheConcurrencyLimit503AtOnce() {
        int limit = 4;
        server.configure(o -> o.withMaxConcurrency(limit).withFixedLatency(Duration.ofMillis(800)));

        long start = System.nanoTime();
        List<CompletableFuture<TestHttp.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 3 * limit; i++) {
            calls.add(postAsync(server.ollamaUrl(), OLLAMA_REQUEST));
        }
        List<TestHttp.Response> responses = calls.stream().map(CompletableFuture::join).toList();

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(limit);
        List<TestHttp.Response> rejected =
                responses.stream().filter(r -> r.status() == 503).toList();
        assertThat(rejected).hasSize(2 * limit);
        assertThat(rejected.get(0).json().get("error").asText()).isEqualTo(OllamaApi.BUSY);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        EmbeddingServerStats.Snapshot stats = server.stats().snapshot();
        assertThat(stats.requests()).isEqualTo(3 * limit);
        assertThat(stats.rejected()).isEqualTo(2 * limit);
        assertThat(stats.failed()).isZero();
        assertThat(stats.maxConcurrent()).isEqualTo(limit);
        assertThat(stats.inFlight()).isZero();
        assertThat(stats.status(200)).isEqualTo(limit);
        assertThat(stats.status(503)).isEqualTo(2 * limit);

        // the slots are free again
        assertThat(post(server.openAiUrl(), OPENAI_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void neverHasMoreThanTheLimitInProgressUnderSustainedLoad() throws Exception {
        int limit = 3;
        server.configure(o -> o.withMaxConcurrency(limit).withFixedLatency(Duration.ofMillis(10)));
        ExecutorService clients = Executors.newFixedThreadPool(10);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < 10; c++) {
                done.add(
                        clients.submit(
                                () -> {
                                    int ok = 0;
                                    while (ok < 5) { // retry 503s, as a client backs off
                                        if (post(server.ollamaUrl(), OLLAMA_REQUEST).status()
                                                == 200) {
                                            ok++;
                                        } else {
                                            Thread.sleep(2);
                                        }
                                    }
                                    return ok;
                                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(5);
            }
        } finally {
            clients.shutdownNow();
        }
        EmbeddingServerStats.Snapshot stats = server.stats().snapshot();
        assertThat(stats.maxConcurrent()).isEqualTo(limit);
        assertThat(stats.status(200)).isEqualTo(50);
        assertThat(stats.texts()).isEqualTo(100);
        assertThat(stats.rejected()).isEqualTo(stats.status(503)).isPositive();
    }

    @Test
    void takesFixedPlusPerItemLatency() {
        server.configure(o -> o.withLatency(Duration.ofMillis(20), Duration.ofMillis(5)));
        List<String> ten = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
        String batch = "{\"model\": \"synthetic\", \"input\": " + TestHttp.json(ten) + "}";
        post(server.ollamaUrl(), batch); // warm the connection and the code

        long start = System.nanoTime();
        TestHttp.Response response = post(server.ollamaUrl(), batch);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.status()).isEqualTo(200);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(70));
        assertThat(response.json().get("total_duration").asLong())
                .isGreaterThanOrEqualTo(70_000_000L);

        start = System.nanoTime();
        post(server.openAiUrl(), "{\"model\": \"synthetic\", \"input\": \"one\"}");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(25));
    }

    @Test
    void waitsOutLatencyWithoutHoldingAThreadPerRequest() {
        // far more requests than worker threads: were each to sleep on one, this would take
        // several rounds of the latency
        server.configure(o -> o.withFixedLatency(Duration.ofMillis(500)));
        int requests = 8 * Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
        long start = System.nanoTime();
        List<CompletableFuture<TestHttp.Response>> calls = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            calls.add(postAsync(server.ollamaUrl(), OLLAMA_REQUEST));
        }
        assertThat(calls.stream().map(CompletableFuture::join).map(TestHttp.Response::status))
                .containsOnly(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
        assertThat(server.stats().snapshot().maxConcurrent()).isGreaterThan(16);
    }

    @ParameterizedTest
    @ValueSource(strings = {"500", "503", "429"})
    void injectsHttpFailuresInBothApis(String mode) {
        server.configure(o -> o.withFailMode(FailMode.parse(mode)));
        int status = Integer.parseInt(mode);

        TestHttp.Response ollama = post(server.ollamaUrl(), OLLAMA_REQUEST);
        assertThat(ollama.status()).isEqualTo(status);
        assertThat(ollama.json().get("error").isTextual()).isTrue();

        TestHttp.Response openAi = post(server.openAiUrl(), OPENAI_REQUEST);
        assertThat(openAi.status()).isEqualTo(status);
        assertThat(openAi.json().get("error").get("message").asText()).isNotBlank();
        assertThat(openAi.json().get("error").get("type").asText())
                .isEqualTo(status == 429 ? "requests" : "server_error");
        if (status == 429) {
            assertThat(openAi.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(openAi.json().get("error").get("code").asText())
                    .isEqualTo("rate_limit_exceeded");
        }
        EmbeddingServerStats.Snapshot stats = server.stats().snapshot();
        assertThat(stats.failed()).isEqualTo(2);
        assertThat(stats.status(status)).isEqualTo(2);
        assertThat(stats.rejected()).isZero();

        server.configure(o -> o.withFailMode(FailMode.NONE));
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void failsEveryNthRequestCountedFromTheChange() {
        server.configure(o -> o.withFailures(FailMode.HTTP_500, 3));
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            statuses.add(post(server.ollamaUrl(), OLLAMA_REQUEST).status());
        }
        assertThat(statuses).containsExactly(200, 200, 500, 200, 200, 500, 200);
    }

    @Test
    void timeoutModeNeverAnswersUntilTheClientGivesUp() throws Exception {
        server.configure(o -> o.withFailMode(FailMode.TIMEOUT).withMaxConcurrency(1));

        long start = System.nanoTime();
        assertThatThrownBy(
                        () ->
                                TestHttp.postWithin(
                                        server.ollamaUrl(), OLLAMA_REQUEST, Duration.ofMillis(300)))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        EmbeddingServerStats.Snapshot stats = server.stats().snapshot();
        assertThat(stats.hung()).isEqualTo(1);
        assertThat(stats.failed()).isEqualTo(1);
        assertThat(stats.inFlight()).isZero(); // a hung request does not hold its slot

        server.configure(o -> o.withFailMode(FailMode.NONE));
        assertThat(
                        TestHttp.postWithin(
                                        server.ollamaUrl(), OLLAMA_REQUEST, Duration.ofSeconds(5))
                                .status())
                .isEqualTo(200);
    }

    @Test
    void timeoutModeClosesTheConnectionAfterHangFor() {
        server.configure(o -> o.withFailMode(FailMode.TIMEOUT).withHangFor(Duration.ofMillis(300)));

        long start = System.nanoTime();
        assertThatThrownBy(
                        () ->
                                TestHttp.postWithin(
                                        server.openAiUrl(), OPENAI_REQUEST, Duration.ofSeconds(30)))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isBetween(Duration.ofMillis(250), Duration.ofSeconds(10));
    }

    @Test
    void wrongDimensionModeAnswersShortVectors() {
        server.configure(o -> o.withFailures(FailMode.WRONG_DIMENSION, 2));

        JsonNode first = post(server.ollamaUrl(), OLLAMA_REQUEST).json();
        JsonNode second = post(server.openAiUrl(), OPENAI_REQUEST).json();

        assertThat(floats(first.get("embeddings").get(0))).hasSize(384);
        assertThat(floats(second.get("data").get(0).get("embedding"))).hasSize(383);
    }

    @Test
    void goesDownAndComesBackUpOnTheSamePort() throws Exception {
        int port = server.port();
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);

        server.down();
        assertThat(server.isUp()).isFalse();
        assertThat(server.options().failMode()).isEqualTo(FailMode.DOWN);
        assertRefused(server.ollamaUrl());
        assertRefused(server.url().resolve("/admin/stats"));

        server.up();
        assertThat(server.isUp()).isTrue();
        assertThat(server.port()).isEqualTo(port);
        assertThat(server.options().failMode()).isEqualTo(FailMode.NONE);
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
        assertThat(post(server.openAiUrl(), OPENAI_REQUEST).status()).isEqualTo(200);

        // again, to be sure the port is reusable each time
        server.down();
        assertRefused(server.openAiUrl());
        server.up();
        assertThat(post(server.openAiUrl(), OPENAI_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void goingDownDropsTheRequestsInProgressAndFreesTheirSlots() {
        server.configure(o -> o.withFixedLatency(Duration.ofSeconds(30)).withMaxConcurrency(2));
        CompletableFuture<TestHttp.Response> first = postAsync(server.ollamaUrl(), OLLAMA_REQUEST);
        CompletableFuture<TestHttp.Response> second = postAsync(server.openAiUrl(), OPENAI_REQUEST);
        awaitInFlight(2);
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(503);

        long start = System.nanoTime();
        server.down();
        assertThat(server.stats().snapshot().inFlight()).isZero();
        assertThatThrownBy(first::join).hasCauseInstanceOf(IOException.class);
        assertThatThrownBy(second::join).hasCauseInstanceOf(IOException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        server.up();
        server.configure(o -> o.withFixedLatency(Duration.ZERO));
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void goesDownForAWhileThroughTheAdminEndpoint() throws Exception {
        URI config = server.url().resolve("/admin/config");
        TestHttp.Response response =
                post(config, "{\"fail-mode\": \"down\", \"down-for\": \"700ms\"}");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().get("fail-mode").asText()).isEqualTo("down");
        assertThat(response.headers().firstValue("Connection")).hasValue("close");

        // it answers first, then stops listening
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (server.isUp() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertRefused(server.ollamaUrl());
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!server.isUp() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.isUp()).isTrue();
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void rejectsInputsWithThePoisonMarker400() {
        server.configure(o -> o.withPoisonMarker("☠POISON☠"));
        String poisoned =
                "{\"model\": \"synthetic\", \"input\": [\"fine\", \"bad ☠POISON☠ text\"]}";

        TestHttp.Response ollama = post(server.ollamaUrl(), poisoned);
        assertThat(ollama.status()).isEqualTo(400);
        assertThat(ollama.json().get("error").asText()).contains("input[1]").contains("☠POISON☠");

        TestHttp.Response openAi = post(server.openAiUrl(), poisoned);
        assertThat(openAi.status()).isEqualTo(400);
        assertThat(openAi.json().get("error").get("type").asText())
                .isEqualTo("invalid_request_error");
        assertThat(openAi.json().get("error").get("param").asText()).isEqualTo("input");

        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
        assertThat(server.stats().snapshot().status(400)).isEqualTo(2);
        assertThat(server.stats().snapshot().failed()).isEqualTo(2);
    }

    @Test
    void changesSettingsAtRunTimeThroughTheAdminEndpoint() {
        URI config = server.url().resolve("/admin/config");
        TestHttp.Response changed =
                post(
                        config,
                        """
                {"fixed-latency": "50ms", "per_item_latency": 2, "maxConcurrency": 2,
                 "fail-mode": "503", "fail-every": 4, "poison-marker": "XX",
                 "served-model-name": "nomic-embed-text", "api-key": "k"}""");

        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        JsonNode json = changed.json();
        assertThat(json.get("fixed-latency").asText()).isEqualTo("50 ms");
        assertThat(json.get("per-item-latency").asText()).isEqualTo("2 ms");
        assertThat(json.get("max-concurrency").asInt()).isEqualTo(2);
        assertThat(json.get("fail-mode").asText()).isEqualTo("503");
        assertThat(json.get("fail-every").asInt()).isEqualTo(4);
        assertThat(json.get("api-key").asText()).isEqualTo("***");
        assertThat(json.get("port").asInt()).isEqualTo(server.port());

        EmbeddingServerOptions options = server.options();
        assertThat(options.fixedLatency()).isEqualTo(Duration.ofMillis(50));
        assertThat(options.perItemLatency()).isEqualTo(Duration.ofMillis(2));
        assertThat(options.maxConcurrency()).isEqualTo(2);
        assertThat(options.failMode()).isEqualTo(FailMode.HTTP_503);
        assertThat(options.failEvery()).isEqualTo(4);
        assertThat(options.poisonMarker()).isEqualTo("XX");
        assertThat(options.modelName()).isEqualTo("nomic-embed-text");
        assertThat(TestHttp.get(config, "Authorization", "Bearer k").json()).isEqualTo(json);

        String request = "{\"model\": \"nomic-embed-text\", \"input\": \"x\"}";
        assertThat(post(server.ollamaUrl(), request).status()).isEqualTo(401);
        assertThat(post(server.ollamaUrl(), request, "Authorization", "Bearer k").status())
                .isEqualTo(200);
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST, "Authorization", "Bearer k").status())
                .isEqualTo(404);

        TestHttp.Response cleared =
                post(
                        config,
                        "{\"api-key\": null, \"served-model-name\": null, \"fail-mode\": \"none\"}",
                        "Authorization",
                        "Bearer k");
        assertThat(cleared.json().get("api-key").isNull()).isTrue();
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void theAdminEndpointsNeedTheKeyOnceOneIsSet() {
        server.configure(o -> o.withApiKey("the-key"));
        URI config = server.url().resolve("/admin/config");
        URI stats = server.url().resolve("/admin/stats");

        for (String[] headers :
                List.of(
                        new String[0],
                        new String[] {"Authorization", "Bearer wrong"},
                        new String[] {"Authorization", "Basic the-key"})) {
            TestHttp.Response read = TestHttp.get(stats, headers);
            assertThat(read.status()).as(List.of(headers).toString()).isEqualTo(401);
            assertThat(read.json().get("error").asText()).contains("API key");
            assertThat(read.body()).doesNotContain("the-key");
            assertThat(TestHttp.get(config, headers).status()).isEqualTo(401);
            assertThat(post(config, "{\"api-key\": null}", headers).status()).isEqualTo(401);
            assertThat(post(config, "{\"fail-mode\": \"down\"}", headers).status()).isEqualTo(401);
            assertThat(post(server.url().resolve("/admin/stats/reset"), "", headers).status())
                    .isEqualTo(401);
        }
        assertThat(server.options().apiKey()).isEqualTo("the-key");
        assertThat(server.isUp()).isTrue();

        assertThat(TestHttp.get(stats, "Authorization", "Bearer the-key").status()).isEqualTo(200);
        TestHttp.Response cleared =
                post(config, "{\"api-key\": null}", "Authorization", "Bearer the-key");
        assertThat(cleared.status()).as(cleared.body()).isEqualTo(200);
        assertThat(server.options().apiKey()).isNull();
        assertThat(TestHttp.get(stats).status()).isEqualTo(200); // no key, no check
    }

    @Test
    void answersABodyOverTheLimit413AndGoesOnServing() throws Exception {
        server.configure(o -> o.withMaxRequestBytes(1024));
        String big = "{\"model\": \"synthetic\", \"input\": \"" + "x".repeat(10_000) + "\"}";

        for (URI uri :
                List.of(
                        server.ollamaUrl(),
                        server.openAiUrl(),
                        server.url().resolve("/admin/config"))) {
            TestHttp.Response tooLarge = post(uri, big);
            assertThat(tooLarge.status()).as(uri.toString()).isEqualTo(413);
            assertThat(tooLarge.json().get("error").asText()).contains("max-request-bytes");
            assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
        }
        // chunked, with no Content-Length to go by
        HttpRequest chunked =
                HttpRequest.newBuilder(server.ollamaUrl())
                        .POST(
                                HttpRequest.BodyPublishers.ofInputStream(
                                        () -> new java.io.ByteArrayInputStream(big.getBytes())))
                        .timeout(Duration.ofSeconds(30))
                        .build();
        assertThat(TestHttp.send(chunked).status()).isEqualTo(413);
        assertThat(post(server.openAiUrl(), OPENAI_REQUEST).status()).isEqualTo(200);
        assertThat(server.stats().snapshot().status(413)).isEqualTo(3);
        assertThat(server.stats().snapshot().inFlight()).isZero();
    }

    @Test
    void refusesAHugeBodyByItsLengthWithoutReadingIt() throws Exception {
        assertThat(server.options().maxRequestBytes()).isEqualTo(16L << 20);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(
                            ("POST /api/embed HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            + "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{\"model\"")
                                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer =
                    new String(
                            socket.getInputStream().readNBytes(12),
                            java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(answer).isEqualTo("HTTP/1.1 413");
        }
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void refusesBadSettingsAndKeepsTheOldOnes() {
        URI config = server.url().resolve("/admin/config");
        EmbeddingServerOptions before = server.options();

        for (String bad :
                List.of(
                        "{\"fail-mode\": \"explode\"}",
                        "{\"fail-every\": 0}",
                        "{\"fixed-latency\": \"soon\"}",
                        "{\"max-concurrency\": -1}",
                        "{\"colour\": \"blue\"}",
                        "{\"port\": 1}",
                        "{\"fail-mode\": \"500\", ",
                        "[1, 2]")) {
            TestHttp.Response response = post(config, bad);
            assertThat(response.status()).as(bad).isEqualTo(400);
            assertThat(response.json().get("error").asText()).as(bad).isNotBlank();
        }
        assertThat(server.options()).isEqualTo(before);
        assertThat(post(server.ollamaUrl(), OLLAMA_REQUEST).status()).isEqualTo(200);
    }

    @Test
    void reportsAndResetsStatsThroughTheAdminEndpoint() {
        post(server.ollamaUrl(), OLLAMA_REQUEST);
        post(server.openAiUrl(), "{\"model\": \"synthetic\", \"input\": \"one\"}");
        post(server.openAiUrl(), "{\"model\": \"other\", \"input\": \"one\"}");

        JsonNode stats = TestHttp.get(server.url().resolve("/admin/stats")).json();
        assertThat(stats.get("requests").asLong()).isEqualTo(3);
        assertThat(stats.get("texts").asLong()).isEqualTo(3);
        assertThat(stats.get("failed").asLong()).isEqualTo(1);
        assertThat(stats.get("rejected").asLong()).isZero();
        assertThat(stats.get("maxConcurrent").asInt()).isEqualTo(1);
        assertThat(stats.get("statuses").get("200").asLong()).isEqualTo(2);
        assertThat(stats.get("statuses").get("404").asLong()).isEqualTo(1);
        assertThat(stats.get("port").asInt()).isEqualTo(server.port());

        JsonNode reset = post(server.url().resolve("/admin/stats/reset"), "").json();
        assertThat(reset.get("requests").asLong()).isZero();
        assertThat(server.stats().snapshot().statuses()).isEmpty();
        // admin and info requests are not counted
        TestHttp.get(server.url().resolve("/api/tags"));
        assertThat(server.stats().snapshot().requests()).isZero();
    }

    private void awaitInFlight(int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.stats().snapshot().inFlight() != count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(server.stats().snapshot().inFlight()).isEqualTo(count);
    }

    /** A new connection is refused (a fresh client: no pooled keep-alive connection). */
    static void assertRefused(URI uri) {
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThatThrownBy(
                        () ->
                                fresh.send(
                                        HttpRequest.newBuilder(uri)
                                                .POST(
                                                        HttpRequest.BodyPublishers.ofString(
                                                                OLLAMA_REQUEST))
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
    }
}
