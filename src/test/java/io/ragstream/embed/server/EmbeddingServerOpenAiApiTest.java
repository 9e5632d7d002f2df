package io.ragstream.embed.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static io.ragstream.embed.server.TestHttp.base64Floats;
import static io.ragstream.embed.server.TestHttp.floats;
import static io.ragstream.embed.server.TestHttp.get;
import static io.ragstream.embed.server.TestHttp.norm;
import static io.ragstream.embed.server.TestHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * OpenAI's {@code POST /v1/embeddings} over real sockets, with the request and response examples of
 * OpenAI's API reference ("Create embeddings"). The server serves the synthetic model under the
 * reference's model name, {@code text-embedding-ada-002}.
 */
class EmbeddingServerOpenAiApiTest {

    static final String MODEL = "text-embedding-ada-002";

    static EmbeddingServer server;
    static URI embeddings;

    @BeforeAll
    static void start() throws Exception {
        server =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withServedModelName(MODEL));
        embeddings = server.openAiUrl();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void answersTheDocumentedRequest() {
        TestHttp.Response response =
                post(
                        embeddings,
                        """
                {
                  "input": "The food was delicious and the waiter...",
                  "model": "text-embedding-ada-002",
                  "encoding_format": "float"
                }""");

        // {"object": "list",
        //  "data": [{"object": "embedding", "embedding": [0.0023064255, -0.009327292, ...],
        //            "index": 0}],
        //  "model": "text-embedding-ada-002",
        //  "usage": {"prompt_tokens": 8, "total_tokens": 8}}
        assertThat(response.status()).isEqualTo(200);
        JsonNode json = response.json();
        assertThat(json.fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder("object", "data", "model", "usage");
        assertThat(json.get("object").asText()).isEqualTo("list");
        assertThat(json.get("model").asText()).isEqualTo(MODEL);
        assertThat(json.get("data")).hasSize(1);
        JsonNode item = json.get("data").get(0);
        assertThat(item.fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder("object", "index", "embedding");
        assertThat(item.get("object").asText()).isEqualTo("embedding");
        assertThat(item.get("index").asInt()).isZero();
        float[] vector = floats(item.get("embedding"));
        assertThat(vector)
                .containsExactly(
                        SyntheticEmbedder.vector("The food was delicious and the waiter..."));
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
        JsonNode usage = json.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(7); // seven words
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(7);
    }

    @Test
    void answersABatchWithOneIndexedEmbeddingPerInput() {
        TestHttp.Response response =
                post(
                        embeddings,
                        """
                {
                  "input": ["The food was delicious", "The waiter was friendly"],
                  "model": "text-embedding-ada-002",
                  "encoding_format": "float"
                }""");

        assertThat(response.status()).isEqualTo(200);
        JsonNode data = response.json().get("data");
        assertThat(data).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(data.get(i).get("index").asInt()).isEqualTo(i);
        }
        assertThat(floats(data.get(0).get("embedding")))
                .containsExactly(SyntheticEmbedder.vector("The food was delicious"));
        assertThat(floats(data.get(1).get("embedding")))
                .containsExactly(SyntheticEmbedder.vector("The waiter was friendly"));
    }

    @Test
    void encodingFormatDefaultsToFloat() {
        JsonNode json =
                post(
                                embeddings,
                                "{\"input\": \"no format\", \"model\": \"text-embedding-ada-002\"}")
                        .json();
        assertThat(json.get("data").get(0).get("embedding").isArray()).isTrue();
    }

    @Test
    void base64EncodingCarriesTheSameFloatsLittleEndian() {
        String[] texts = {"The food was delicious", "The waiter was friendly", "ünïcödé ✓"};
        String request = "{\"input\": " + TestHttp.json(texts) + ", \"model\": \"" + MODEL + "\"";
        JsonNode asFloats = post(embeddings, request + ", \"encoding_format\": \"float\"}").json();
        JsonNode asBase64 = post(embeddings, request + ", \"encoding_format\": \"base64\"}").json();

        for (int i = 0; i < texts.length; i++) {
            JsonNode encoded = asBase64.get("data").get(i).get("embedding");
            assertThat(encoded.isTextual()).isTrue();
            float[] decoded = base64Floats(encoded.asText());
            assertThat(decoded)
                    .hasSize(384)
                    .containsExactly(floats(asFloats.get("data").get(i).get("embedding")));
        }
    }

    @Test
    void shortensVectorsToRequestedDimensionsAndRefusesMore() {
        JsonNode json =
                post(
                                embeddings,
                                "{\"input\": \"x\", \"model\": \""
                                        + MODEL
                                        + "\", \"dimensions\": 256}")
                        .json();
        float[] vector = floats(json.get("data").get(0).get("embedding"));
        assertThat(vector).hasSize(256);
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));

        assertError(
                post(
                        embeddings,
                        "{\"input\": \"x\", \"model\": \"" + MODEL + "\", \"dimensions\": 385}"),
                400,
                "dimensions",
                null);
        assertError(
                post(
                        embeddings,
                        "{\"input\": \"x\", \"model\": \"" + MODEL + "\", \"dimensions\": 0}"),
                400,
                null,
                null);
    }

    @Test
    void answersAnUnknownModel404AsOpenAi() {
        TestHttp.Response response =
                post(embeddings, "{\"input\": \"x\", \"model\": \"text-embedding-3-small\"}");

        // {"error": {"message": "The model `text-embedding-3-small` does not exist or you do not
        //  have access to it.", "type": "invalid_request_error", "param": null,
        //  "code": "model_not_found"}}
        assertError(response, 404, null, "model_not_found");
        assertThat(response.json().get("error").get("message").asText())
                .isEqualTo(
                        "The model `text-embedding-3-small` does not exist or you do not have access to "
                                + "it.");
    }

    @Test
    void answersMalformedRequests400AsOpenAi() {
        assertError(post(embeddings, "{\"input\": "), 400, null, null);
        assertError(post(embeddings, ""), 400, null, null);
        assertError(post(embeddings, "{\"input\": \"x\"}"), 400, null, null);
        assertError(
                post(embeddings, "{\"model\": \"" + MODEL + "\"}"),
                400,
                "input",
                "missing_required_parameter");
        assertError(
                post(embeddings, "{\"input\": \"\", \"model\": \"" + MODEL + "\"}"),
                400,
                null,
                null);
        assertError(
                post(embeddings, "{\"input\": [], \"model\": \"" + MODEL + "\"}"), 400, null, null);
        assertError(
                post(embeddings, "{\"input\": [[1, 2, 3]], \"model\": \"" + MODEL + "\"}"),
                400,
                null,
                null);
        assertError(
                post(
                        embeddings,
                        "{\"input\": \"x\", \"model\": \""
                                + MODEL
                                + "\", \"encoding_format\": \"int8\"}"),
                400,
                null,
                null);
        assertThat(post(embeddings, "{\"input\": \"x\", \"model\": \"" + MODEL + "\"}").status())
                .isEqualTo(200);
    }

    @Test
    void checksTheApiKeyWhenOneIsSet() throws Exception {
        try (EmbeddingServer keyed =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withApiKey("sk-test-123"))) {
            String body = "{\"input\": \"x\", \"model\": \"synthetic\"}";

            TestHttp.Response missing = post(keyed.openAiUrl(), body);
            assertError(missing, 401, null, null);
            assertThat(missing.json().get("error").get("message").asText())
                    .startsWith("You didn't provide an API key");

            TestHttp.Response wrong =
                    post(keyed.openAiUrl(), body, "Authorization", "Bearer sk-wrong");
            assertError(wrong, 401, null, "invalid_api_key");

            assertThat(
                            post(keyed.openAiUrl(), body, "Authorization", "Bearer sk-test-123")
                                    .status())
                    .isEqualTo(200);

            // Ollama's path checks it too, with Ollama's error shape
            TestHttp.Response ollama =
                    post(keyed.ollamaUrl(), "{\"model\": \"synthetic\", \"input\": \"x\"}");
            assertThat(ollama.status()).isEqualTo(401);
            assertThat(ollama.json().get("error").asText()).isEqualTo("unauthorized");

            assertThat(keyed.stats().snapshot().status(401)).isEqualTo(3);
        }
    }

    @Test
    void listsTheServedModel() {
        JsonNode models = get(server.url().resolve("/v1/models")).json();
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asText()).isEqualTo(MODEL);
    }

    /** OpenAI's error shape: exactly message, type, param and code. */
    private static void assertError(
            TestHttp.Response response, int status, String param, String code) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        JsonNode json = response.json();
        assertThat(json.fieldNames()).toIterable().containsExactly("error");
        JsonNode error = json.get("error");
        assertThat(error.fieldNames())
                .toIterable()
                .containsExactly("message", "type", "param", "code");
        assertThat(error.get("message").asText()).isNotBlank();
        if (status == 400 || status == 401 || status == 404) {
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        }
        assertThat(
                        param == null
                                ? error.get("param").isNull()
                                : error.get("param").asText().equals(param))
                .as(error.toString())
                .isTrue();
        assertThat(
                        code == null
                                ? error.get("code").isNull()
                                : error.get("code").asText().equals(code))
                .as(error.toString())
                .isTrue();
    }
}
