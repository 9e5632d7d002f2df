package io.ragstream.embed;

import io.ragstream.testing.StubHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ragstream.embed.OllamaBackendTest.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every HTTP backend inherits, through the smallest one, against the JDK's HTTP server. */
class HttpBackendTest {

    private final StubHttpServer server = new StubHttpServer();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
    }

    private TestBackend backend(TestBackend.Builder builder) {
        TestBackend b = builder.build();
        toClose.add(b);
        return b;
    }

    private TestBackend backend() {
        return backend(TestBackend.builder(server.url()).model("m").dimension(2));
    }

    @Test
    void oneRequestPerBatchAndTheVectorsOfItsAnswer() throws Exception {
        server.reply(200, "{\"vectors\": [[0.6, 0.8], [1, 0]]}");
        TestBackend backend = backend();

        List<float[]> vectors = backend.embed(List.of("a", "b")).get(10, TimeUnit.SECONDS);

        assertThat(vectors).hasSize(2);
        assertThat(vectors.get(0)).containsExactly(0.6f, 0.8f);
        assertThat(vectors.get(1)).containsExactly(1f, 0f);
        assertThat(server.requests()).hasSize(1);
        assertThat(server.requests().get(0).json().get("input")).hasSize(2);
        assertThat(backend.inFlight()).isZero();
    }

    @Test
    void anEmptyBatchSendsNothing() throws Exception {
        assertThat(backend().embed(List.of()).get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void aStatusFailsTheFutureWithTheFailureItself() {
        server.reply(404, "{\"error\": \"model 'm' not found\"}");
        EmbeddingFailure f = failure(backend().embed(List.of("a")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f)
                .hasMessageContainingAll(
                        "test server at " + server.url() + " (model m)", "HTTP 404", "not found");
    }

    @Test
    void anAnswerWithoutTheArrayOrWithAnotherCountIsPermanent() {
        server.reply(200, "{\"embeddings\": [[1, 0]]}");
        EmbeddingFailure missing = failure(backend().embed(List.of("a")));
        assertThat(missing.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(missing)
                .hasMessageContainingAll("no \"vectors\" array", "(is this the test server?)");

        server.reply(200, "{\"error\": \"something odd\"}");
        assertThat(failure(backend().embed(List.of("a"))))
                .hasMessageEndingWith("no \"vectors\" array: something odd");

        server.reply(200, "{\"vectors\": [[1, 0]]}");
        assertThat(failure(backend().embed(List.of("a", "b"))))
                .hasMessageContaining("asked for 2 vectors, got 1")
                .extracting(EmbeddingFailure::kind)
                .isEqualTo(EmbeddingFailure.Kind.PERMANENT);
    }

    @Test
    void closingFailsWhatIsInFlightAndRefusesMore() {
        server.hang();
        TestBackend backend = backend();
        CompletableFuture<List<float[]>> future = backend.embed(List.of("a"));
        server.awaitRequests(1);

        backend.close();

        assertThat(failure(future).kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(failure(backend.embed(List.of("a")))).hasMessageContaining("closed");
        backend.close(); // idempotent
    }

    @Test
    void describesItselfWithoutTheQueryString() {
        TestBackend backend =
                backend(
                        TestBackend.builder(server.url() + "/v1/?key=s3cret")
                                .model("m")
                                .dimension(2));
        assertThat(backend.endpoint()).isEqualTo(server.url() + "/v1?***");
        assertThat(backend.model()).isEqualTo("m");
        assertThat(backend.dimension()).isEqualTo(2);
        assertThat(backend.describe())
                .isEqualTo("endpoint=" + server.url() + "/v1?***, model=m, dimension=2");
        assertThat(backend.who).doesNotContain("s3cret");
    }

    @Test
    void rejectsIncompleteOrUnsafeSettings() {
        assertThatThrownBy(() -> TestBackend.builder("http://h:11434").dimension(10).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model");
        assertThatThrownBy(() -> TestBackend.builder("http://h:11434").model("m").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dimension");
        assertThatThrownBy(() -> TestBackend.builder("h:11434").model("m").dimension(1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http");
        assertThatThrownBy(
                        () ->
                                TestBackend.builder("http://user:secret@h:11434")
                                        .model("m")
                                        .dimension(1)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("secret");
        assertThatThrownBy(
                        () ->
                                TestBackend.builder("http://h:11434")
                                        .model("m")
                                        .dimension(1)
                                        .requestTimeout(Duration.ZERO)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestTimeout");
        assertThatThrownBy(
                        () ->
                                TestBackend.builder("http://h:11434")
                                        .model("m")
                                        .dimension(1)
                                        .connectTimeout(Duration.ofSeconds(-1))
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connectTimeout");
    }

    /**
     * The smallest HTTP backend: posts {@code {"input": [..]}}, reads {@code {"vectors": [[..],
     * ..]}}.
     */
    static final class TestBackend extends HttpBackend {

        private TestBackend(Settings settings) {
            super(settings, "test server at");
        }

        static Builder builder(String url) {
            return new Builder(url);
        }

        @Override
        CompletableFuture<List<float[]>> embedBatch(List<String> batch) {
            ObjectNode body = HttpTransport.JSON.createObjectNode();
            batch.forEach(body.putArray("input")::add);
            return post(settings.base(), body, Map.of())
                    .thenApply(
                            response -> {
                                JsonNode array =
                                        answerArray(
                                                response,
                                                "vectors",
                                                batch.size(),
                                                "is this the test server?");
                                VectorChecks checks = VectorChecks.of(response, dimension(), who);
                                List<float[]> vectors = new ArrayList<>();
                                for (int i = 0; i < batch.size(); i++) {
                                    vectors.add(checks.vector(array.get(i), i));
                                }
                                return vectors;
                            });
        }

        static final class Builder extends HttpBackend.Builder<Builder> {
            Builder(String url) {
                super(url);
            }

            @Override
            Builder self() {
                return this;
            }

            TestBackend build() {
                return new TestBackend(settings());
            }
        }
    }
}
