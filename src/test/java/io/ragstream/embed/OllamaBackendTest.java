package io.ragstream.embed;

import io.ragstream.testing.StubHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link OllamaBackend} against a real HTTP server that answers as Ollama's API documentation
 * shows.
 */
class OllamaBackendTest {

    /** The request of Ollama's docs/api.md, "Generate Embeddings", "Request (Multiple input)". */
    static final List<String> DOC_INPUT =
            List.of("Why is the sky blue?", "Why is the grass green?");

    /** Its response, verbatim (all-minilm, shortened by the docs to 10 values per vector). */
    static final String DOC_RESPONSE =
            """
            {
              "model": "all-minilm",
              "embeddings": [[
                0.010071029, -0.0017594862, 0.05007221, 0.04692972, 0.054916814,
                0.008599704, 0.105441414, -0.025878139, 0.12958129, 0.031952348
              ],[
                -0.0098027075, 0.06042469, 0.025257962, -0.006364387, 0.07272725,
                0.017194884, 0.09032035, -0.051705178, 0.09951512, 0.09072481
              ]]
            }
            """;

    static final float[] DOC_FIRST = {
        0.010071029f, -0.0017594862f, 0.05007221f, 0.04692972f, 0.054916814f,
        0.008599704f, 0.105441414f, -0.025878139f, 0.12958129f, 0.031952348f
    };
    static final float[] DOC_SECOND = {
        -0.0098027075f, 0.06042469f, 0.025257962f, -0.006364387f, 0.07272725f,
        0.017194884f, 0.09032035f, -0.051705178f, 0.09951512f, 0.09072481f
    };

    private final StubHttpServer server = new StubHttpServer();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
    }

    private OllamaBackend backend(int dimension) {
        return backend(
                OllamaBackend.builder(server.url()).model("all-minilm").dimension(dimension));
    }

    private OllamaBackend backend(OllamaBackend.Builder builder) {
        OllamaBackend b = builder.build();
        toClose.add(b);
        return b;
    }

    @Test
    void sendsTheBatchAsOneRequestAndReadsTheDocumentedAnswer() throws Exception {
        server.reply(200, DOC_RESPONSE);
        OllamaBackend backend = backend(10);

        List<float[]> vectors = backend.embed(DOC_INPUT).get(10, TimeUnit.SECONDS);

        assertThat(vectors).hasSize(2);
        assertThat(vectors.get(0))
                .containsExactly(unit(DOC_FIRST)); // the docs cut the vectors short
        assertThat(vectors.get(1)).containsExactly(unit(DOC_SECOND));
        assertThat(server.requests()).hasSize(1);
        StubHttpServer.Request request = server.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/api/embed");
        assertThat(request.headers().getFirst("Content-Type")).isEqualTo("application/json");
        assertThat(request.headers().containsKey("Authorization")).isFalse();
        assertThat(request.json())
                .isEqualTo(
                        json(
                                """
                {"model": "all-minilm", "input": ["Why is the sky blue?", "Why is the grass green?"],
                 "truncate": true, "keep_alive": "30m"}"""));
        assertThat(backend.inFlight()).isZero();
    }

    @Test
    void keepAliveAndTruncateAreConfigurable() throws Exception {
        server.reply(
                200,
                """
                {"model": "all-minilm", "embeddings": [[0.6, 0.8]]}""");
        OllamaBackend backend =
                backend(
                        OllamaBackend.builder(server.url())
                                .model("all-minilm")
                                .dimension(2)
                                .keepAlive("-1m")
                                .truncate(false));

        assertThat(backend.embed(List.of("one")).get(10, TimeUnit.SECONDS).get(0))
                .containsExactly(0.6f, 0.8f);
        assertThat(server.requests().get(0).json())
                .isEqualTo(
                        json(
                                """
                {"model": "all-minilm", "input": ["one"], "truncate": false, "keep_alive": "-1m"}"""));
    }

    @Test
    void scalesAVectorThatIsNotOfUnitLength() throws Exception {
        server.reply(
                200,
                """
                {"model": "m", "embeddings": [[3, 4], [0.6, 0.8]]}""");
        List<float[]> vectors = backend(2).embed(List.of("x", "y")).get(10, TimeUnit.SECONDS);
        assertThat(vectors.get(0)).containsExactly(0.6f, 0.8f);
        assertThat(vectors.get(1)).containsExactly(0.6f, 0.8f);
    }

    @Test
    void anEmptyBatchSendsNothing() throws Exception {
        assertThat(backend(10).embed(List.of()).get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void acceptsTheBaseUrlWithOrWithoutTheApiPath() {
        for (String url :
                List.of(
                        "http://gpu-1:11434",
                        "http://gpu-1:11434/",
                        "http://gpu-1:11434/api",
                        "http://gpu-1:11434/api/",
                        "http://gpu-1:11434/api/embed")) {
            URI base = EndpointUrls.base(url);
            assertThat(OllamaBackend.embedUri(base))
                    .as(url)
                    .hasToString("http://gpu-1:11434/api/embed");
        }
        assertThat(
                        OllamaBackend.builder("http://gpu-1:11434/")
                                .model("m")
                                .dimension(1)
                                .build()
                                .endpoint())
                .isEqualTo("http://gpu-1:11434");
    }

    @Test
    void aWrongDimensionForEveryVectorIsTheEndpointsMisconfiguration() {
        server.reply(200, DOC_RESPONSE);
        EmbeddingFailure f = failure(backend(384).embed(DOC_INPUT));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f.status()).isEqualTo(200);
        assertThat(f)
                .hasMessageContainingAll(
                        "wrong dimension", "every vector", "10 values", "expected 384");
    }

    @Test
    void aWrongDimensionForSomeVectorsIsPermanentForTheFirst() {
        server.reply(200, "{\"model\": \"m\", \"embeddings\": [[0.1, 0.2], [0.1, 0.2, 0.3]]}");
        EmbeddingFailure f = failure(backend(2).embed(List.of("fine", "odd")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f)
                .hasMessageContainingAll("wrong dimension", "vector 1", "3 values", "expected 2");
    }

    @Test
    void fewerVectorsThanTextsIsPermanent() {
        server.reply(200, DOC_RESPONSE);
        EmbeddingFailure f = failure(backend(10).embed(List.of("a", "b", "c")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContaining("asked for 3 vectors, got 2");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "NaN literal        | [0.1, NaN, 0.3]       | NaN",
                "Infinity literal   | [0.1, -Infinity, 0.3] | Infinity",
                "null               | [0.1, null, 0.3]      | null",
                "beyond float range | [0.1, 1e39, 0.3]      | 1.0E39"
            })
    void aNonFiniteValueIsPermanent(String what, String vector, String shown) {
        server.reply(200, "{\"model\": \"m\", \"embeddings\": [[0.1, 0.2, 0.3], " + vector + "]}");
        EmbeddingFailure f = failure(backend(3).embed(List.of("fine", "bad")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContainingAll("vector 1", "non-finite", "at 1", shown);
    }

    @Test
    void ollamasOwnAnswersToANanVectorArePermanent() {
        // Older Ollama: Go's encoder refuses NaN and the handler answers 500; newer: a 400.
        server.reply(
                500, "{\"error\":\"failed to encode response: json: unsupported value: NaN\"}");
        EmbeddingFailure old = failure(backend(3).embed(List.of("x")));
        assertThat(old.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(old.status()).isEqualTo(500);
        assertThat(old).hasMessageContaining("json: unsupported value: NaN");

        server.reply(400, "{\"error\":\"embedding contains NaN or Inf values\"}");
        EmbeddingFailure recent = failure(backend(3).embed(List.of("x")));
        assertThat(recent.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(recent.status()).isEqualTo(400);
        assertThat(recent).hasMessageContaining("embedding contains NaN or Inf values");
    }

    @ParameterizedTest(name = "HTTP {0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "400 | {\"error\":\"input exceeds maximum context length\"} | input exceeds maximum context length",
                "413 | <html><body>413 Request Entity Too Large</body></html> | 413 Request Entity Too Large"
            })
    void aClientErrorIsPermanentWithTheServersMessage(int status, String body, String message) {
        server.reply(status, body);
        EmbeddingFailure f = failure(backend(10).embed(DOC_INPUT));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f.status()).isEqualTo(status);
        assertThat(f)
                .hasMessageContainingAll("HTTP " + status, message, server.url(), "all-minilm");
    }

    @ParameterizedTest(name = "HTTP {0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "401 | <html><body>401 Authorization Required</body></html> | 401 Authorization Required",
                "403 | {\"error\":\"forbidden\"}                           | forbidden",
                "404 | {\"error\":\"model 'all-minilm' not found\"}         | model 'all-minilm' not found",
                "405 | {\"error\":\"method not allowed\"}                  | method not allowed"
            })
    void aRefusedKeyAMissingModelOrPathIsTheEndpointsMisconfiguration(
            int status, String body, String message) {
        server.reply(status, body);
        EmbeddingFailure f = failure(backend(10).embed(DOC_INPUT));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f.status()).isEqualTo(status);
        assertThat(f)
                .hasMessageContainingAll("HTTP " + status, message, server.url(), "all-minilm");
    }

    @Test
    void aQueryStringIsInNoMessage() {
        server.reply(404, "{\"error\":\"not found\"}");
        OllamaBackend backend =
                backend(
                        OllamaBackend.builder(server.url() + "/?token=s3cret")
                                .model("m")
                                .dimension(10));
        assertThat(backend.endpoint()).isEqualTo(server.url() + "?***");
        assertThat(failure(backend.embed(DOC_INPUT))).hasMessageNotContaining("s3cret");
        assertThat(server.requests().get(0).path()).isEqualTo("/api/embed");
    }

    @ParameterizedTest(name = "HTTP {0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "408 | {\"error\":\"request timeout\"}",
                "429 | {\"error\":\"too many requests\"}",
                "500 | {\"error\":\"llama runner process has terminated: exit status 2\"}",
                "502 | <html><body><h1>502 Bad Gateway</h1></body></html>",
                "503 | {\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}"
            })
    void overloadAndServerErrorsAreTransientWithTheirStatus(int status, String body) {
        server.reply(status, body, Map.of("Retry-After", "2"));
        EmbeddingFailure f = failure(backend(10).embed(DOC_INPUT));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.isTransient()).isTrue();
        assertThat(f.status()).isEqualTo(status);
        assertThat(f).hasMessageContainingAll("HTTP " + status, "Retry-After: 2");
    }

    @Test
    void aSuccessThatIsNotJsonIsTransient() {
        server.reply(200, "<html><body>Please log in to the corporate proxy</body></html>");
        EmbeddingFailure f = failure(backend(10).embed(DOC_INPUT));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.status()).isEqualTo(200);
        assertThat(f).hasMessageContainingAll("not JSON", "corporate proxy");

        server.reply(200, "");
        assertThat(failure(backend(10).embed(DOC_INPUT)).kind())
                .isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
    }

    @Test
    void aJsonSuccessWithoutEmbeddingsIsPermanent() {
        server.reply(200, "{\"embedding\": [0.1, 0.2]}"); // the old /api/embeddings shape
        EmbeddingFailure f = failure(backend(2).embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContaining("no \"embeddings\" array");

        server.reply(200, "{\"error\": \"something odd\"}");
        assertThat(failure(backend(2).embed(List.of("x"))))
                .hasMessageContaining("something odd")
                .extracting(EmbeddingFailure::kind)
                .isEqualTo(EmbeddingFailure.Kind.PERMANENT);
    }

    @Test
    void keepAliveMustBeADuration() {
        assertThatThrownBy(
                        () ->
                                OllamaBackend.builder("http://h:11434")
                                        .model("m")
                                        .dimension(1)
                                        .keepAlive(" ")
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepAlive");
    }

    // ---- helpers, shared with the other HTTP backend tests ----

    /**
     * {@code v} scaled to unit length, in double: what a backend returns for a vector the server
     * did not normalise.
     */
    static float[] unit(float... v) {
        double squares = 0;
        for (float x : v) {
            squares += (double) x * x;
        }
        float[] unit = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] / Math.sqrt(squares));
        }
        return unit;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The failure a future ends with, checked to be an {@link EmbeddingFailure} both through {@code
     * get()} and as what {@code handle}/{@code whenComplete} callbacks receive.
     */
    static EmbeddingFailure failure(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(() -> future.get(20, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class);
        assertThat(thrown.getCause()).isInstanceOf(EmbeddingFailure.class);
        Throwable direct = future.handle((value, error) -> error).join();
        assertThat(direct).isSameAs(thrown.getCause());
        return (EmbeddingFailure) direct;
    }

    /** A port nothing listens on. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
