package io.ragstream.embed.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;

import static io.ragstream.embed.server.TestHttp.floats;
import static io.ragstream.embed.server.TestHttp.get;
import static io.ragstream.embed.server.TestHttp.norm;
import static io.ragstream.embed.server.TestHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Ollama's {@code POST /api/embed} over real sockets, with the request and response examples of
 * Ollama's API documentation (docs/api.md, "Generate Embeddings"). The server serves the synthetic
 * model under the documentation's model name, {@code all-minilm}.
 */
class EmbeddingServerOllamaApiTest {

    static EmbeddingServer server;
    static URI embed;

    @BeforeAll
    static void start() throws Exception {
        server =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withServedModelName("all-minilm"));
        embed = server.ollamaUrl();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void answersTheDocumentedSingleInputRequest() {
        // curl http://localhost:11434/api/embed -d '{"model": "all-minilm", "input": "Why is the
        // sky blue?"}'
        TestHttp.Response response =
                post(
                        embed,
                        """
                {
                  "model": "all-minilm",
                  "input": "Why is the sky blue?"
                }""");

        // {"model": "all-minilm", "embeddings": [[0.010071029, -0.0017594862, ...]],
        //  "total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8}
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValue("application/json; charset=utf-8");
        JsonNode json = response.json();
        assertThat(json.fieldNames())
                .toIterable()
                .containsExactly(
                        "model",
                        "embeddings",
                        "total_duration",
                        "load_duration",
                        "prompt_eval_count");
        assertThat(json.get("model").asText()).isEqualTo("all-minilm");
        assertThat(json.get("embeddings")).hasSize(1);
        float[] vector = floats(json.get("embeddings").get(0));
        assertThat(vector).containsExactly(SyntheticEmbedder.vector("Why is the sky blue?"));
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
        assertThat(json.get("total_duration").isIntegralNumber()).isTrue();
        assertThat(json.get("total_duration").asLong()).isPositive();
        assertThat(json.get("load_duration").asLong()).isNotNegative();
        assertThat(json.get("prompt_eval_count").asInt()).isEqualTo(5); // five words
    }

    @Test
    void answersTheDocumentedMultipleInputRequestInOrder() {
        TestHttp.Response response =
                post(
                        embed,
                        """
                {
                  "model": "all-minilm",
                  "input": ["Why is the sky blue?", "Why is the grass green?"]
                }""");

        assertThat(response.status()).isEqualTo(200);
        JsonNode embeddings = response.json().get("embeddings");
        assertThat(embeddings).hasSize(2);
        assertThat(floats(embeddings.get(0)))
                .containsExactly(SyntheticEmbedder.vector("Why is the sky blue?"));
        assertThat(floats(embeddings.get(1)))
                .containsExactly(SyntheticEmbedder.vector("Why is the grass green?"));
        assertThat(response.json().get("prompt_eval_count").asInt()).isEqualTo(10);
    }

    @Test
    void acceptsTheAdvancedParameters() {
        TestHttp.Response response =
                post(
                        embed,
                        """
                {"model": "all-minilm", "input": ["a", "b"], "truncate": true, "keep_alive": "5m",
                 "options": {"temperature": 0, "num_ctx": 512}}""");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().get("embeddings")).hasSize(2);
    }

    @Test
    void resolvesModelNamesAsOllamaDoes() {
        for (String name : List.of("all-minilm:latest", "ALL-MiniLM")) {
            assertThat(post(embed, "{\"model\": \"" + name + "\", \"input\": \"x\"}").status())
                    .as(name)
                    .isEqualTo(200);
        }
        // the model field echoes the request, as Ollama's does
        assertThat(
                        post(embed, "{\"model\": \"all-minilm:latest\", \"input\": \"x\"}")
                                .json()
                                .get("model")
                                .asText())
                .isEqualTo("all-minilm:latest");
    }

    @Test
    void answersAnEmptyInputWithNoEmbeddings() {
        for (String input : List.of("\"\"", "[]")) {
            TestHttp.Response response =
                    post(embed, "{\"model\": \"all-minilm\", \"input\": " + input + "}");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("{\"model\":\"all-minilm\",\"embeddings\":[]}");
        }
    }

    @Test
    void answersAnUnknownModel404AsOllama() {
        TestHttp.Response response =
                post(
                        embed,
                        "{\"model\": \"nomic-embed-text\", \"input\": \"Why is the sky blue?\"}");

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json()).hasSize(1);
        assertThat(response.json().get("error").asText())
                .isEqualTo("model \"nomic-embed-text\" not found, try pulling it first");
    }

    @Test
    void answersMalformedRequests400WithAnErrorString() {
        assertError(post(embed, "{\"model\": \"all-minilm\", \"input\": "), 400, null);
        assertError(post(embed, ""), 400, "missing request body");
        assertError(
                post(embed, "{\"model\": \"all-minilm\", \"input\": 42}"),
                400,
                "invalid input type");
        assertError(
                post(embed, "{\"model\": \"all-minilm\", \"input\": [\"a\", 1]}"),
                400,
                "invalid input type");
        assertError(
                post(embed, "[\"not\", \"an object\"]"),
                400,
                "json: cannot unmarshal array into Go value of type api.EmbedRequest");
        assertError(
                post(embed, "{\"model\": 7, \"input\": \"a\"}"),
                400,
                "json: cannot unmarshal number into Go struct field EmbedRequest.model of type "
                        + "string");
    }

    @Test
    void shortensVectorsToRequestedDimensions() {
        JsonNode json =
                post(embed, "{\"model\": \"all-minilm\", \"input\": \"a b c\", \"dimensions\": 64}")
                        .json();
        float[] vector = floats(json.get("embeddings").get(0));
        assertThat(vector).hasSize(64);
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void answersTheProbesOfOllamaClients() {
        TestHttp.Response root = get(server.url().resolve("/"));
        assertThat(root.status()).isEqualTo(200);
        assertThat(root.body()).isEqualTo("Ollama is running");

        JsonNode tags = get(server.url().resolve("/api/tags")).json();
        assertThat(tags.get("models")).hasSize(1);
        assertThat(tags.get("models").get(0).get("name").asText()).isEqualTo("all-minilm:latest");

        assertThat(get(server.url().resolve("/api/version")).json().get("version").asText())
                .isNotEmpty();
        assertThat(get(server.url().resolve("/api/generate")).status()).isEqualTo(404);
        assertThat(get(server.url().resolve("/api/embeddings")).status()).isEqualTo(404);
    }

    @Test
    void refusesOtherMethodsThanPost() {
        TestHttp.Response response = get(embed);
        assertThat(response.status()).isEqualTo(405);
        assertThat(response.json().has("error")).isTrue();
        TestHttp.Response put =
                TestHttp.send(
                        HttpRequest.newBuilder(embed)
                                .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                                .build());
        assertThat(put.status()).isEqualTo(405);
    }

    private static void assertError(TestHttp.Response response, int status, String message) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        JsonNode json = response.json();
        assertThat(json.fieldNames()).toIterable().containsExactly("error");
        assertThat(json.get("error").isTextual()).isTrue();
        if (message != null) {
            assertThat(json.get("error").asText()).isEqualTo(message);
        } else {
            assertThat(json.get("error").asText()).isNotBlank();
        }
    }
}
