package io.ragstream.search;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.job.RagstreamJob;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The same documents backfilled through the job, its real sink included, once per quantization,
 * then searched with the real model: each mode finds the right document first, never returns
 * another tenant's rows, re-ranks (int8, binary) into the exact order, and a table made for one
 * mode refuses to be opened with another.
 */
class SearchQuantizationIT {
    private static final String ACME = "acme";
    private static final String GLOBEX = "globex";

    /** Copies of acme's documents globex holds: more of its rows than acme's near every query. */
    private static final int GLOBEX_COPIES = 3;

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private static final Map<Quantization, TestServices> TABLES = new EnumMap<>(Quantization.class);
    private static List<JsonNode> corpus;
    private static OnnxMiniLmEmbedder model;

    @BeforeAll
    static void backfillEachMode(@TempDir Path dir) throws Exception {
        model = OnnxMiniLmEmbedder.shared(); // held, so the jobs share one loaded model
        corpus = TestServices.testCorpus();
        Path file = dir.resolve("documents.jsonl");
        Files.write(file, documents(), StandardCharsets.UTF_8);
        for (Quantization q : Quantization.values()) {
            TABLES.put(q, IT.services("quant" + q));
            IT.backfill(config(q, q), List.of(file));
            RagstreamJob.finishBackfill(config(q, q));
        }
    }

    @AfterAll
    static void closeModel() throws Exception {
        if (model != null) {
            model.close();
        }
    }

    /** acme's ten documents, and globex's copies of them under other ids plus one of its own. */
    private static List<String> documents() {
        List<String> lines = new ArrayList<>();
        for (JsonNode doc : corpus) {
            lines.add(doc.toString());
            for (int copy = 1; copy <= GLOBEX_COPIES; copy++) {
                lines.add(
                        ((ObjectNode) doc.deepCopy())
                                .put("tenant", GLOBEX)
                                .put("id", GLOBEX + copy + "-" + doc.get("id").asText())
                                .toString());
            }
        }
        lines.add(
                "{\"tenant\": \"globex\", \"id\": \"globex-merger\", \"title\": \"The merger with Initech\", "
                        + "\"text\": \"Globex will acquire Initech in the third quarter; the deal stays confidential until signed.\"}");
        return lines;
    }

    /** Settings for the table made with {@code created}, opened with {@code opened}. */
    private static RagstreamConfig config(Quantization created, Quantization opened) {
        return TABLES.get(created)
                .config("quantization=" + opened.configName(), "job.parallelism=1");
    }

    private static Searcher searcher(Quantization q) {
        RagstreamConfig config = config(q, q);
        return new Searcher(
                PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION),
                SearchOptions.from(config),
                model);
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void eachTitleFindsItsDocumentFirst(Quantization q) throws Exception {
        assertThat(rows(q, ACME))
                .isEqualTo(rows(Quantization.FLOAT32, ACME))
                .isGreaterThanOrEqualTo(corpus.size());
        try (Searcher searcher = searcher(q)) {
            for (JsonNode doc : corpus) {
                List<SearchHit> hits = searcher.search(ACME, doc.get("title").asText(), 3);
                assertThat(hits).as("%s: %s", q, doc.get("title").asText()).isNotEmpty();
                assertThat(hits.get(0).docId())
                        .as("%s: %s", q, doc.get("title").asText())
                        .isEqualTo(doc.get("id").asText());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void anotherTenantsRowsNeverAppearWhateverTheQuery(Quantization q) throws Exception {
        List<String> queries = new ArrayList<>();
        corpus.forEach(doc -> queries.add(doc.get("text").asText()));
        queries.add("The merger with Initech");
        queries.add("Globex will acquire Initech in the third quarter");
        queries.add("zxqv plorf 12345");
        try (Searcher searcher = searcher(q)) {
            for (String query : queries) {
                List<SearchHit> acme = searcher.search(ACME, query, 20);
                // every one of acme's documents, though globex has three rows near each query for
                // each of acme's
                assertThat(acme)
                        .as("%s: %s", q, query)
                        .hasSize(corpus.size())
                        .allSatisfy(hit -> assertThat(hit.docId()).doesNotStartWith(GLOBEX));
                List<SearchHit> globex = searcher.search(GLOBEX, query, 5);
                assertThat(globex)
                        .as("%s: %s", q, query)
                        .hasSize(5)
                        .allSatisfy(hit -> assertThat(hit.docId()).startsWith(GLOBEX));
                assertThat(searcher.search("initech", query, 5))
                        .as("a tenant with no rows")
                        .isEmpty();
            }
        }
    }

    /**
     * A tenant's rows here are fewer than the candidates a re-ranking search takes, so the
     * candidates are all of them: the order it returns must be the exact float32 order, and each
     * score the exact cosine up to the stored vector's rounding.
     */
    @ParameterizedTest
    @EnumSource(Quantization.class)
    void rankingEqualsExactFloat32OrderOfTheCandidates(Quantization q) throws Exception {
        Map<String, float[]> chunkVectors = exactChunkVectors();
        double tolerance = q == Quantization.INT8 ? 3e-3 : q == Quantization.FLOAT32 ? 1e-5 : 1e-3;
        try (Searcher searcher = searcher(q)) {
            for (JsonNode doc : corpus) {
                String[] sentences = doc.get("text").asText().split("\\. ");
                String query =
                        sentences[sentences.length - 1]; // not the title: an order less obvious
                float[] vector = model.embed(List.of(query)).get(0);
                List<SearchHit> hits = searcher.search(ACME, vector, corpus.size());
                List<Map.Entry<String, Double>> exact = exactDocumentOrder(chunkVectors, vector);
                assertThat(hits)
                        .extracting(SearchHit::docId)
                        .as("%s: %s", q, query)
                        .containsExactlyElementsOf(exact.stream().map(Map.Entry::getKey).toList());
                for (int i = 0; i < hits.size(); i++) {
                    assertThat(hits.get(i).score())
                            .as("%s: score of %s", q, hits.get(i).docId())
                            .isCloseTo(exact.get(i).getValue(), within(tolerance));
                }
            }
        }
    }

    @Test
    void aTableMadeForOneModeRefusesToOpenWithAnother() throws Exception {
        for (Quantization created : Quantization.values()) {
            for (Quantization opened : Quantization.values()) {
                PgVectorSinkOptions options =
                        PgVectorSinkOptions.from(
                                config(created, opened), OnnxMiniLmEmbedder.DIMENSION);
                if (created == opened) {
                    options.prepareTables(); // opens, and creating again changes nothing
                    continue;
                }
                assertThatThrownBy(options::prepareTables)
                        .as("%s table opened as %s", created, opened)
                        .isInstanceOf(ConfigException.class)
                        .hasMessageStartingWith("config key 'quantization': is " + opened)
                        .hasMessageContaining("created with quantization " + created + " (");
                try (Searcher searcher = searcher(created);
                        Searcher wrong = new Searcher(options, model)) {
                    assertThat(searcher.search(ACME, "volcanoes", 1)).isNotEmpty();
                    assertThatThrownBy(() -> wrong.search(ACME, "volcanoes", 1))
                            .as("searching a %s table as %s", created, opened)
                            .isInstanceOf(ConfigException.class)
                            .hasMessageContaining("quantization " + created);
                }
            }
        }
    }

    private static long rows(Quantization q, String tenant) throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT count(*) FROM \""
                                        + TABLES.get(q).chunksTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * "doc_id/chunk_no" → the float32 vector of acme's chunk, embedded here from its stored text.
     */
    private static Map<String, float[]> exactChunkVectors() throws Exception {
        List<String> keys = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT doc_id, chunk_no, content FROM \""
                                        + TABLES.get(Quantization.FLOAT32).chunksTable
                                        + "\" WHERE tenant = 'acme'")) {
            while (rs.next()) {
                keys.add(rs.getString(1) + "/" + rs.getInt(2));
                texts.add(rs.getString(3));
            }
        }
        List<float[]> vectors = model.embed(texts);
        Map<String, float[]> byKey = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            byKey.put(keys.get(i), vectors.get(i));
        }
        return byKey;
    }

    /** Documents by their best chunk's exact cosine similarity, best first. */
    private static List<Map.Entry<String, Double>> exactDocumentOrder(
            Map<String, float[]> chunks, float[] query) {
        Map<String, Double> best = new HashMap<>();
        chunks.forEach(
                (key, v) -> {
                    double dot = 0, nq = 0, nv = 0;
                    for (int i = 0; i < v.length; i++) {
                        dot += (double) query[i] * v[i];
                        nq += (double) query[i] * query[i];
                        nv += (double) v[i] * v[i];
                    }
                    best.merge(
                            key.substring(0, key.lastIndexOf('/')),
                            dot / Math.sqrt(nq * nv),
                            Math::max);
                });
        return best.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .toList();
    }
}
