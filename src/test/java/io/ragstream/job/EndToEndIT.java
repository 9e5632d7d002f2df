package io.ragstream.job;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.Vectors;
import io.ragstream.search.SearchHit;
import io.ragstream.search.Searcher;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.ragstream.testing.TestServices.count;
import static io.ragstream.testing.TestServices.queryString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole job on a Flink MiniCluster against the real Kafka broker, PostgreSQL with pgvector and
 * the in-process model: documents published to Kafka end up as rows with 384-dim vectors, a search
 * by title finds its document, bad input is dead-lettered, and edits and deletes reach the tables.
 * One job serves both tests; each publishes and reads its own tenants.
 */
class EndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(4);

    private static TestServices services;
    private static RagstreamConfig config;
    private static List<JsonNode> corpus;
    private static String handbook;

    @BeforeAll
    static void startJob() throws Exception {
        corpus = TestServices.testCorpus();
        handbook =
                corpus.stream()
                        .map(d -> d.get("text").asText())
                        .collect(Collectors.joining("\n\n"));
        services = IT.services("e2e");
        config = services.config("job.parallelism=2", "embedding.batch-size=8", "chunk.size=120");
        IT.start(config);
    }

    @Test
    void publishedDocumentsBecomeRowsWithVectorsAndAreFoundBySearch() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (JsonNode doc : corpus) {
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        "acme/" + doc.get("id").asText(),
                        doc.toString());
            }
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "manuals/handbook",
                    event("manuals", "handbook", 1, "Field handbook", handbook));
            // the same id in another tenant, on another subject
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "globex/volcanoes",
                    event(
                            "globex",
                            "volcanoes",
                            1,
                            "Quarterly sales report",
                            "Sales of industrial pumps rose by four percent."));
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "acme/broken",
                    "{\"id\": \"broken\", \"text\": ");
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "acme/empty",
                    "{\"id\": \"empty\", \"text\": \"  \"}");
        }
        String mine =
                " WHERE tenant IN ('acme', 'manuals', 'globex')"; // the other test's tenant is
        // edits
        int expected = corpus.size() + 2;
        await(expected + " documents in " + services.documentsTable)
                .atMost(WAIT)
                .until(
                        () ->
                                count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\""
                                                        + mine)
                                        == expected);

        // every document's chunks are there, numbered 0..n-1, one row each
        assertThat(
                        count(
                                "SELECT coalesce(sum(chunk_count), 0) FROM \""
                                        + services.documentsTable
                                        + "\""
                                        + mine))
                .isEqualTo(count("SELECT count(*) FROM \"" + services.chunksTable + "\"" + mine));
        assertThat(
                        count(
                                "SELECT count(*) FROM (SELECT tenant, doc_id FROM \""
                                        + services.chunksTable
                                        + "\" GROUP BY tenant, doc_id HAVING max(chunk_no) <> count(*) - 1) gaps"))
                .isZero();
        assertThat(
                        count(
                                "SELECT chunk_count FROM \""
                                        + services.documentsTable
                                        + "\" WHERE tenant = 'manuals' AND doc_id = 'handbook'"))
                .as("the handbook is longer than one chunk")
                .isGreaterThanOrEqualTo(3);

        // 384-dim unit vectors from the configured model, content hashed as stored
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE vector_dims(embedding) <> 384"
                                        + " OR model <> 'all-MiniLM-L6-v2' OR abs(l2_norm(embedding) - 1) > 0.01"
                                        + " OR content_sha256 <> sha256(convert_to(content, 'UTF8'))"))
                .isZero();
        assertThat(
                        queryString(
                                "SELECT metadata->>'topic' FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = 'acme' AND doc_id = 'espresso'"))
                .isEqualTo("espresso");

        // the stored vector is the model's vector of the stored text (float16 rounding aside)
        String content =
                queryString(
                        "SELECT content FROM \""
                                + services.chunksTable
                                + "\" WHERE tenant = 'acme' AND doc_id = 'tides' AND chunk_no = 0");
        float[] stored =
                parseVector(
                        queryString(
                                "SELECT embedding::text FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = 'acme' AND doc_id = 'tides' AND chunk_no = 0"));
        float[] fresh = OnnxMiniLmEmbedder.shared().embed(List.of(content)).get(0);
        assertThat(Vectors.cosine(stored, fresh)).isGreaterThan(0.9999);

        try (Searcher searcher = searcher()) {
            for (JsonNode doc : corpus) {
                List<SearchHit> hits = searcher.search("acme", doc.get("title").asText(), 3);
                assertThat(hits).as("search for '%s'", doc.get("title").asText()).isNotEmpty();
                assertThat(hits.get(0).docId()).isEqualTo(doc.get("id").asText());
            }
            List<SearchHit> globex = searcher.search("globex", "How volcanoes erupt", 10);
            assertThat(globex).extracting(SearchHit::content).allMatch(c -> c.contains("pumps"));
        }

        Set<String> badKeys = Set.of("acme/broken", "acme/empty");
        List<ConsumerRecord<byte[], byte[]>> dead =
                TestServices.readTopic(
                        services.dlqTopic,
                        r -> badKeys.contains(new String(r.key(), StandardCharsets.UTF_8)),
                        2,
                        WAIT);
        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode letter = JSON.readTree(r.value());
            reasons.put(new String(r.key(), StandardCharsets.UTF_8), letter.get("reason").asText());
            assertThat(letter.get("topic").asText()).isEqualTo(services.documentsTopic);
            assertThat(letter.get("value").asText()).isNotEmpty();
        }
        assertThat(reasons)
                .containsEntry("acme/broken", "MALFORMED_JSON")
                .containsEntry("acme/empty", "EMPTY_TEXT");
    }

    @Test
    void editsAndDeletesReachTheTables() throws Exception {
        String edited =
                handbook.replace(
                        "Tides are caused mainly by the Moon's gravity",
                        "Tides, as every sailor knows, are caused mainly by the Moon's gravity");
        String edits = "\"" + services.documentsTable + "\" WHERE tenant = 'edits'";
        String editedChunks = "\"" + services.chunksTable + "\" WHERE tenant = 'edits'";
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            // given: the handbook and two short documents, indexed
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "edits/handbook",
                    event("edits", "handbook", 1, "Field handbook", handbook));
            for (JsonNode doc : corpus) {
                if (Set.of("tides", "bees").contains(doc.get("id").asText())) {
                    TestServices.send(
                            producer,
                            services.documentsTopic,
                            "edits/" + doc.get("id").asText(),
                            ((ObjectNode) doc.deepCopy()).put("tenant", "edits").toString());
                }
            }
            await("the documents to edit and delete")
                    .atMost(WAIT)
                    .until(() -> count("SELECT count(*) FROM " + edits) == 3);
            try (Searcher searcher = searcher()) {
                assertThat(searcher.search("edits", "Why the ocean has tides", 10))
                        .extracting(SearchHit::docId)
                        .contains("tides");
            }

            // when: the handbook is edited, the two are deleted, and an old version of the handbook
            // comes late
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "edits/handbook",
                    event("edits", "handbook", 2, "Field handbook", edited));
            TestServices.send(
                    producer, services.documentsTopic, "edits/tides", (String) null); // tombstone
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "edits/bees",
                    "{\"tenant\": \"edits\", \"id\": \"bees\", \"op\": \"delete\"}");
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "edits/handbook",
                    event("edits", "handbook", 1, "Field handbook", "an old draft"));
        }
        await("the edit and the deletes")
                .atMost(WAIT)
                .until(
                        () ->
                                count(
                                                "SELECT count(*) FROM "
                                                        + edits
                                                        + " AND ((doc_id = 'handbook' AND version = 2) OR (doc_id IN ('tides', 'bees') AND deleted))")
                                        == 3);

        assertThat(
                        count(
                                "SELECT count(*) FROM "
                                        + editedChunks
                                        + " AND doc_id IN ('tides', 'bees')"))
                .isZero();
        assertThat(
                        count(
                                "SELECT count(*) FROM "
                                        + editedChunks
                                        + " AND doc_id = 'handbook' AND version <> 2"))
                .isZero();
        assertThat(
                        count(
                                "SELECT count(*) FROM "
                                        + editedChunks
                                        + " AND doc_id = 'handbook'"
                                        + " AND content LIKE '%every sailor knows%'"))
                .isEqualTo(1);
        assertThat(
                        count(
                                "SELECT count(*) FROM "
                                        + editedChunks
                                        + " AND content LIKE '%old draft%'"))
                .isZero();
        try (Searcher searcher = searcher()) {
            assertThat(searcher.search("edits", "Why the ocean has tides", 10))
                    .extracting(SearchHit::docId)
                    .doesNotContain("tides");
        }
    }

    private static Searcher searcher() {
        return new Searcher(
                PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION),
                OnnxMiniLmEmbedder.shared());
    }

    private static String event(String tenant, String id, long version, String title, String text) {
        ObjectNode node =
                JSON.createObjectNode()
                        .put("tenant", tenant)
                        .put("id", id)
                        .put("version", version)
                        .put("title", title)
                        .put("text", text);
        return node.toString();
    }

    static float[] parseVector(String text) {
        String[] parts = text.substring(1, text.length() - 1).split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }
}
