package io.ragstream.embed.server;

import static io.ragstream.embed.server.TestHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.ragstream.cli.ServeEmbeddingsCommand;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Several servers as a local pool, and the {@code serve-embeddings} command's flags. */
class EmbeddingServerGroupTest {

    static final String REQUEST = "{\"model\": \"synthetic\", \"input\": \"x\"}";

    @Test
    void startsServersOnFreePortsThatFailAlone() throws Exception {
        try (EmbeddingServerGroup pool = EmbeddingServerGroup.start(3,
                EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC))) {
            List<URI> urls = pool.urls();
            assertThat(urls).hasSize(3);
            assertThat(new HashSet<>(urls)).hasSize(3);
            for (URI url : urls) {
                assertThat(post(url.resolve("/api/embed"), REQUEST).status()).isEqualTo(200);
            }

            pool.get(1).down();
            pool.get(2).configure(o -> o.withFailMode(FailMode.HTTP_503));

            assertThat(post(pool.get(0).ollamaUrl(), REQUEST).status()).isEqualTo(200);
            EmbeddingServerBehaviourTest.assertRefused(pool.get(1).ollamaUrl());
            assertThat(post(pool.get(2).ollamaUrl(), REQUEST).status()).isEqualTo(503);

            pool.get(1).up();
            assertThat(post(pool.get(1).ollamaUrl(), REQUEST).status()).isEqualTo(200);
            assertThat(pool.stats()).extracting(s -> s.status(200)).containsExactly(2L, 2L, 1L);
        }
    }

    @Test
    void startsServersOnConsecutivePorts() throws Exception {
        EmbeddingServerGroup pool = null;
        for (int attempt = 0; pool == null; attempt++) {
            int base = freePort();
            try {
                pool = EmbeddingServerGroup.start(3,
                        EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC)
                                .withPort(base));
            } catch (IOException e) {
                if (attempt == 5) {
                    throw e; // the next ports happened to be taken five times
                }
            }
        }
        try (EmbeddingServerGroup started = pool) {
            int base = started.get(0).port();
            assertThat(started.servers()).extracting(EmbeddingServer::port)
                    .containsExactly(base, base + 1, base + 2);
        }
    }

    @Test
    void readsTheServeEmbeddingsFlags() {
        ServeEmbeddingsCommand command = new ServeEmbeddingsCommand();
        new CommandLine(command).parseArgs("--port", "0", "--count", "3", "--model", "synthetic",
                "--served-model-name", "all-MiniLM-L6-v2", "--fixed-latency", "20ms",
                "--per-item-latency", "1ms", "--max-concurrency", "4", "--api-key", "k",
                "--fail-mode", "503", "--fail-every", "2", "--poison-marker", "XX",
                "--hang-for", "1min");

        assertThat(command.count()).isEqualTo(3);
        assertThat(command.options()).isEqualTo(new EmbeddingServerOptions(0, ModelKind.SYNTHETIC,
                "all-MiniLM-L6-v2", Duration.ofMillis(20), Duration.ofMillis(1), 4, "k",
                FailMode.HTTP_503, 2, "XX", Duration.ofMinutes(1)));
    }

    @Test
    void serveEmbeddingsDefaultsToOneRealModelOnOllamasPort() {
        ServeEmbeddingsCommand command = new ServeEmbeddingsCommand();
        new CommandLine(command).parseArgs();

        assertThat(command.count()).isEqualTo(1);
        assertThat(command.options()).isEqualTo(EmbeddingServerOptions.defaults().withPort(11434));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
