package io.ragstream.embed.server;

import io.ragstream.cli.ServeEmbeddingsCommand;
import io.ragstream.testing.Ports;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static io.ragstream.embed.server.TestHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Several servers as a local pool, and the {@code serve-embeddings} command's flags. */
class EmbeddingServerGroupTest {

    static final String REQUEST = "{\"model\": \"synthetic\", \"input\": \"x\"}";

    @Test
    void startsServersOnFreePortsThatFailAlone() throws Exception {
        try (EmbeddingServerGroup pool =
                EmbeddingServerGroup.start(
                        3, EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC))) {
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
            int base = Ports.freePort();
            try {
                pool =
                        EmbeddingServerGroup.start(
                                3,
                                EmbeddingServerOptions.defaults()
                                        .withModel(ModelKind.SYNTHETIC)
                                        .withPort(base));
            } catch (IOException e) {
                if (attempt == 5) {
                    throw e; // the next ports happened to be taken five times
                }
            }
        }
        try (EmbeddingServerGroup started = pool) {
            int base = started.get(0).port();
            assertThat(started.servers())
                    .extracting(EmbeddingServer::port)
                    .containsExactly(base, base + 1, base + 2);
        }
    }

    @Test
    void readsTheServeEmbeddingsFlags() {
        ServeEmbeddingsCommand command = new ServeEmbeddingsCommand();
        new CommandLine(command)
                .parseArgs(
                        "--port",
                        "0",
                        "--count",
                        "3",
                        "--model",
                        "synthetic",
                        "--served-model-name",
                        "all-MiniLM-L6-v2",
                        "--fixed-latency",
                        "20ms",
                        "--per-item-latency",
                        "1ms",
                        "--max-concurrency",
                        "4",
                        "--api-key-env",
                        "EMBED_KEY",
                        "--fail-mode",
                        "503",
                        "--fail-every",
                        "2",
                        "--poison-marker",
                        "XX",
                        "--hang-for",
                        "1min",
                        "--max-request-bytes",
                        "1024");

        assertThat(command.count()).isEqualTo(3);
        assertThat(command.options(Map.of("EMBED_KEY", "k")::get))
                .isEqualTo(
                        new EmbeddingServerOptions(
                                0,
                                ModelKind.SYNTHETIC,
                                "all-MiniLM-L6-v2",
                                Duration.ofMillis(20),
                                Duration.ofMillis(1),
                                4,
                                "k",
                                FailMode.HTTP_503,
                                2,
                                "XX",
                                Duration.ofMinutes(1),
                                1024));
    }

    @Test
    void serveEmbeddingsReadsTheKeyFromAFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("key"), "  from-a-file\n");
        ServeEmbeddingsCommand command = new ServeEmbeddingsCommand();
        new CommandLine(command).parseArgs("--api-key-file", file.toString());

        assertThat(command.options(name -> null).apiKey()).isEqualTo("from-a-file");
    }

    @Test
    void serveEmbeddingsRefusesAKeyOnTheCommandLineOrAMissingOne(@TempDir Path dir)
            throws IOException {
        assertThatThrownBy(
                        () ->
                                new CommandLine(new ServeEmbeddingsCommand())
                                        .parseArgs("--api-key", "s3cret"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContainingAll("ps", "--api-key-env", "--api-key-file")
                .hasMessageNotContaining("s3cret");

        ServeEmbeddingsCommand unset = new ServeEmbeddingsCommand();
        new CommandLine(unset).parseArgs("--api-key-env", "NO_SUCH_KEY");
        assertThatThrownBy(() -> unset.options(name -> null))
                .hasMessageContaining("NO_SUCH_KEY is not set");

        ServeEmbeddingsCommand empty = new ServeEmbeddingsCommand();
        Path file = Files.writeString(dir.resolve("empty"), "\n");
        new CommandLine(empty).parseArgs("--api-key-file", file.toString());
        assertThatThrownBy(() -> empty.options(name -> null)).hasMessageContaining("is empty");

        ServeEmbeddingsCommand missing = new ServeEmbeddingsCommand();
        new CommandLine(missing).parseArgs("--api-key-file", dir.resolve("nothing").toString());
        assertThatThrownBy(() -> missing.options(name -> null)).hasMessageContaining("cannot read");

        ServeEmbeddingsCommand both = new ServeEmbeddingsCommand();
        new CommandLine(both).parseArgs("--api-key-env", "K", "--api-key-file", file.toString());
        assertThatThrownBy(() -> both.options(Map.of("K", "k")::get))
                .hasMessageContaining("not both");
    }

    @Test
    void serveEmbeddingsDefaultsToOneRealModelOnOllamasPort() {
        ServeEmbeddingsCommand command = new ServeEmbeddingsCommand();
        new CommandLine(command).parseArgs();

        assertThat(command.count()).isEqualTo(1);
        assertThat(command.options()).isEqualTo(EmbeddingServerOptions.defaults().withPort(11434));
    }
}
