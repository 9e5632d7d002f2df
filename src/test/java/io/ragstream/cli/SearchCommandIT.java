package io.ragstream.cli;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.sink.DirectWriter;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/ragstream search} as a user runs it, in this JVM: {@code --json} prints the request
 * and the ranked hits, and an index it cannot search ends with one line saying why, exit code 1;
 * {@code serve-search} refuses to start on a table it could never search.
 */
class SearchCommandIT {
    private static final TestServices SERVICES = new TestServices("search_cli");
    private static final List<String> TEXTS =
            List.of(
                    "Glaciers carve U-shaped valleys as the ice grinds the bedrock.",
                    "A sourdough starter is a culture of wild yeast and lactic acid bacteria.",
                    "Tides are caused mainly by the Moon's gravity pulling on the oceans.");

    @BeforeAll
    static void indexThreeDocuments() throws Exception {
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(SERVICES.config(), OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables();
        List<DocumentUpdate> updates = new ArrayList<>();
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared();
                DirectWriter writer = new DirectWriter(pg)) {
            List<float[]> vectors = model.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                updates.add(
                        new DocumentUpdate(
                                "acme",
                                "doc-" + i,
                                1,
                                false,
                                "{}",
                                List.of(
                                        new ChunkRow(
                                                0, TEXTS.get(i), new byte[32], vectors.get(i)))));
            }
            writer.write(updates);
        }
    }

    @AfterAll
    static void dropTables() throws Exception {
        SERVICES.dropTables();
    }

    private record Run(int exitCode, String out, String err) {}

    private static Run search(String... args) {
        return run("search", args);
    }

    /** A command of bin/ragstream over this test's table, in this JVM. */
    private static Run run(String command, String... args) {
        List<String> argv =
                new ArrayList<>(
                        List.of(
                                command,
                                "--set",
                                "postgres.url=" + TestServices.PG_URL,
                                "--set",
                                "postgres.password=" + TestServices.PG_PASSWORD,
                                "--set",
                                "postgres.chunks-table=" + SERVICES.chunksTable));
        argv.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream stdout = System.out;
        System.setOut(
                new PrintStream(
                        out, true, StandardCharsets.UTF_8)); // the command prints to System.out
        try {
            int code =
                    RagstreamCli.commandLine()
                            .setErr(new PrintWriter(err, true))
                            .execute(argv.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(stdout);
        }
    }

    @Test
    void jsonHoldsTheRequestAndTheRankedHits() throws Exception {
        Run run =
                search(
                        "--tenant",
                        "acme",
                        "-k",
                        "2",
                        "--json",
                        "--mode",
                        "vector",
                        "how do glaciers shape valleys");

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("tenant").asText()).isEqualTo("acme");
        assertThat(json.get("queries").get(0).asText()).isEqualTo("how do glaciers shape valleys");
        assertThat(json.get("k").asInt()).isEqualTo(2);
        assertThat(json.get("mode").asText()).isEqualTo("vector");
        assertThat(json.get("scoring").asText()).isEqualTo("cosine");
        JsonNode first = json.get("hits").get(0);
        assertThat(json.get("hits")).hasSize(2);
        assertThat(first.get("rank").asInt()).isEqualTo(1);
        assertThat(first.get("docId").asText()).isEqualTo("doc-0");
        assertThat(first.get("chunkNo").asInt()).isZero();
        assertThat(first.get("content").asText()).isEqualTo(TEXTS.get(0));
        assertThat(first.get("score").asDouble()).isBetween(0.3, 1.0);
    }

    @Test
    void severalQueriesAreFusedAndSaySo() throws Exception {
        Run run = search("--tenant", "acme", "--json", "glaciers", "sourdough starter");

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("scoring").asText()).isEqualTo("rrf");
        List<String> ranked = json.get("hits").findValuesAsText("docId");
        assertThat(ranked).hasSize(3);
        assertThat(ranked.subList(0, 2))
                .as("each query's first place")
                .containsExactlyInAnyOrder("doc-0", "doc-1");
    }

    @Test
    void modeTextAndHybridSayWhatTheyRankByAndFindTheDocument() throws Exception {
        for (String mode : List.of("text", "hybrid", "vector", "default")) {
            Run run =
                    mode.equals("default")
                            ? search(
                                    "--tenant",
                                    "acme",
                                    "-k",
                                    "2",
                                    "--json",
                                    "why do sourdough starters need yeast")
                            : search(
                                    "--tenant",
                                    "acme",
                                    "-k",
                                    "2",
                                    "--json",
                                    "--mode",
                                    mode,
                                    "why do sourdough starters need yeast");

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode json = new ObjectMapper().readTree(run.out());
            assertThat(json.get("mode").asText())
                    .isEqualTo(mode.equals("default") ? "hybrid" : mode);
            assertThat(json.get("scoring").asText())
                    .isEqualTo(
                            switch (mode) {
                                case "text" -> "bm25";
                                case "vector" -> "cosine";
                                default -> "relative-score";
                            });
            assertThat(json.get("hits").get(0).get("docId").asText()).as(mode).isEqualTo("doc-1");
        }
        // another tenant's words are not found, whatever the mode
        Run other = search("--tenant", "globex", "--json", "--mode", "text", "sourdough");
        assertThat(new ObjectMapper().readTree(other.out()).get("hits")).isEmpty();
    }

    @Test
    void anUnknownModeIsAUsageError() {
        Run run = search("--tenant", "acme", "--mode", "bm25", "anything");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--mode must be vector, text or hybrid, was 'bm25'");
    }

    @Test
    void anIndexItCannotSearchEndsWithOneLineSayingWhy() {
        Run run =
                search(
                        "--tenant",
                        "acme",
                        "--set",
                        "postgres.chunks-table=no_such_chunks",
                        "anything");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err())
                .startsWith("ragstream: table no_such_chunks does not exist")
                .doesNotContain("Exception");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void serveSearchRefusesAnEndpointThatServesAnotherModelThanTheIndexs() throws Exception {
        try (EmbeddingServer other =
                EmbeddingServer.start(
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withServedModelName(OnnxMiniLmEmbedder.MODEL_NAME))) {
            Run run =
                    run(
                            "serve-search",
                            "--port",
                            "0",
                            "--set",
                            "embedding.backend=ollama",
                            "--set",
                            "embedding.endpoints=[{url: '" + other.url() + "'}]");

            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err())
                    .startsWith(
                            "ragstream: config key 'embedding.endpoints[0].url': embeds with"
                                    + " another model than the one that built table "
                                    + SERVICES.chunksTable);
        }
    }

    @Test
    @Timeout(60) // a service that starts anyway would serve until stopped
    void serveSearchRefusesToStartOnATableOfAnotherQuantization() {
        Run run = run("serve-search", "--port", "0", "--set", "quantization=int8");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("quantization").contains(SERVICES.chunksTable);
    }

    @Test
    void kBelowOneIsAUsageError() {
        Run run = search("--tenant", "acme", "-k", "0", "anything");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("-k must be at least 1, was 0");
    }
}
