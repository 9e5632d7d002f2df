package io.ragstream.embed.server;

import io.ragstream.embed.OnnxMiniLmEmbedder;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.ragstream.embed.server.TestHttp.base64Floats;
import static io.ragstream.embed.server.TestHttp.floats;
import static io.ragstream.embed.server.TestHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

/** The real all-MiniLM-L6-v2 behind both APIs: the same vectors as the in-process model. */
class EmbeddingServerRealModelTest {

    static final List<String> TEXTS =
            List.of(
                    "Why is the sky blue?",
                    "PostgreSQL 15 with pgvector stores embeddings in HNSW indexes.",
                    "Café Münster serves crème brûlée — naïve façade.",
                    "東京は日本の首都です。",
                    "a");

    static EmbeddingServer server;
    static OnnxMiniLmEmbedder reference;

    @BeforeAll
    static void start() throws Exception {
        server = EmbeddingServer.start(EmbeddingServerOptions.defaults()); // the real model
        reference = OnnxMiniLmEmbedder.shared();
    }

    @AfterAll
    static void stop() {
        server.close();
        reference.close();
    }

    @Test
    void servesTheRealModelByDefault() {
        assertThat(server.options().model()).isEqualTo(ModelKind.MINILM);
        assertThat(server.options().modelName()).isEqualTo("all-MiniLM-L6-v2");
    }

    @Test
    void ollamaVectorsAreTheInProcessModelsVectors() {
        JsonNode json =
                post(
                                server.ollamaUrl(),
                                "{\"model\": \"all-MiniLM-L6-v2\", \"input\": "
                                        + TestHttp.json(TEXTS)
                                        + "}")
                        .json();

        List<float[]> expected = reference.embed(TEXTS);
        JsonNode embeddings = json.get("embeddings");
        assertThat(embeddings).hasSize(TEXTS.size());
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(floats(embeddings.get(i))).as(TEXTS.get(i)).containsExactly(expected.get(i));
        }
        int tokens = TEXTS.stream().mapToInt(t -> reference.countTokens(t) + 2).sum();
        assertThat(json.get("prompt_eval_count").asInt()).isEqualTo(tokens);
    }

    @Test
    void openAiVectorsAreTheInProcessModelsVectorsInBothEncodings() {
        String request = "{\"model\": \"all-MiniLM-L6-v2\", \"input\": " + TestHttp.json(TEXTS);
        JsonNode asFloats = post(server.openAiUrl(), request + "}").json();
        JsonNode asBase64 =
                post(server.openAiUrl(), request + ", \"encoding_format\": \"base64\"}").json();

        List<float[]> expected = reference.embed(TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(floats(asFloats.get("data").get(i).get("embedding")))
                    .as(TEXTS.get(i))
                    .containsExactly(expected.get(i));
            assertThat(base64Floats(asBase64.get("data").get(i).get("embedding").asText()))
                    .as(TEXTS.get(i))
                    .containsExactly(expected.get(i));
        }
    }

    @Test
    void truncatesLongInputsUnlessToldNotTo() {
        String longText = "word ".repeat(400);
        String request =
                "{\"model\": \"all-MiniLM-L6-v2\", \"input\": [\"short\", \"" + longText + "\"]";

        TestHttp.Response truncated = post(server.ollamaUrl(), request + "}");
        assertThat(truncated.status()).isEqualTo(200);
        assertThat(floats(truncated.json().get("embeddings").get(1)))
                .containsExactly(reference.embed(List.of(longText)).get(0));
        assertThat(truncated.json().get("prompt_eval_count").asInt())
                .isEqualTo(reference.countTokens("short") + 2 + reference.maxTokens());

        TestHttp.Response refused = post(server.ollamaUrl(), request + ", \"truncate\": false}");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().get("error").asText())
                .isEqualTo("input length exceeds maximum context length");
    }

    @Test
    void switchesBetweenTheRealAndTheSyntheticModelAtRunTime() {
        String request = "{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"Why is the sky blue?\"}";
        try {
            server.configure(
                    o -> o.withModel(ModelKind.SYNTHETIC).withServedModelName("all-MiniLM-L6-v2"));
            assertThat(floats(post(server.ollamaUrl(), request).json().get("embeddings").get(0)))
                    .containsExactly(SyntheticEmbedder.vector("Why is the sky blue?"));
        } finally {
            server.configure(o -> o.withModel(ModelKind.MINILM).withServedModelName(null));
        }
        assertThat(floats(post(server.ollamaUrl(), request).json().get("embeddings").get(0)))
                .containsExactly(reference.embed(List.of("Why is the sky blue?")).get(0));
    }
}
