package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.PoolConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real HTTP servers that serve all-MiniLM-L6-v2 or another model of the same dimension (the
 * synthetic one), each under the name {@code all-minilm}, as Ollama servers whose tags point at
 * different models do.
 */
class ServedModelCheckTest {
    private final List<EmbeddingServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(EmbeddingServer::close);
    }

    @Test
    void aPoolWhoseEndpointsServeOneModelStarts() throws Exception {
        EmbeddingOptions pool = pool(serve(ModelKind.MINILM), serve(ModelKind.MINILM));

        assertThatCode(() -> ServedModelCheck.check(pool, "kb_chunks", Map::of))
                .doesNotThrowAnyException();
    }

    @Test
    void anEndpointServingAnotherModelUnderTheSameNameIsRefusedByItsSetting() throws Exception {
        EmbeddingOptions pool =
                pool(serve(ModelKind.MINILM), serve(ModelKind.SYNTHETIC), serve(ModelKind.MINILM));

        assertThatThrownBy(() -> ServedModelCheck.check(pool, "kb_chunks", Map::of))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'embedding.endpoints[1].url': embeds with")
                .hasMessageContaining(
                        "another model than embedding.endpoints[0].url, embedding.endpoints[2].url")
                .hasMessageContaining("'all-minilm'");
    }

    @Test
    void anEndpointServingAnotherModelThanTheIndexsIsRefusedAloneToo() throws Exception {
        Map<String, float[]> index = indexedByMiniLm("tides and the moon", "pumps", "sales rose");

        assertThatCode(
                        () ->
                                ServedModelCheck.check(
                                        pool(serve(ModelKind.MINILM)), "kb_chunks", () -> index))
                .doesNotThrowAnyException();
        assertThatThrownBy(
                        () ->
                                ServedModelCheck.check(
                                        pool(serve(ModelKind.SYNTHETIC)), "kb_chunks", () -> index))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                        "config key 'embedding.endpoints[0].url': embeds with another model than"
                                + " the one that built table kb_chunks: its vectors of 3 stored"
                                + " chunks' texts have a median cosine of");
    }

    @Test
    void anEndpointThatDoesNotAnswerIsNotChecked() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        EmbeddingOptions pool = pool(serve(ModelKind.MINILM), "http://127.0.0.1:" + closedPort);

        assertThatCode(() -> ServedModelCheck.check(pool, "kb_chunks", Map::of))
                .doesNotThrowAnyException();
    }

    /** What an index built by all-MiniLM-L6-v2 stores of these texts. */
    private static Map<String, float[]> indexedByMiniLm(String... texts) {
        List<float[]> vectors = OnnxMiniLmEmbedder.shared().embed(List.of(texts));
        Map<String, float[]> index = new LinkedHashMap<>();
        for (int i = 0; i < texts.length; i++) {
            index.put(texts[i], vectors.get(i));
        }
        return index;
    }

    private String serve(ModelKind model) throws Exception {
        EmbeddingServer server =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults()
                                .withModel(model)
                                .withServedModelName("all-minilm"));
        servers.add(server);
        return server.url().toString();
    }

    private static EmbeddingOptions pool(String... urls) {
        return EmbeddingOptions.from(
                RagstreamConfig.of(
                        PoolConfig.ollama(
                                List.of(urls).stream()
                                        .map(url -> "{url: '" + url + "'}")
                                        .collect(Collectors.joining(", ", "[", "]")))));
    }
}
