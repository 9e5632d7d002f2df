package io.ragstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.Vectors;
import io.ragstream.search.SearchHit;
import io.ragstream.search.Searcher;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.TestServices;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.ragstream.testing.TestServices.await;
import static io.ragstream.testing.TestServices.connect;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job on a Flink MiniCluster against the real Kafka broker, PostgreSQL with pgvector
 * and the in-process model: documents published to Kafka end up as rows with 384-dim vectors,
 * a search by title finds its document, bad input is dead-lettered, and edits and deletes reach
 * the tables.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private static final TestServices SERVICES = new TestServices("e2e");
    private static RagstreamConfig config;
    private static JobClient job;
    private static List<JsonNode> corpus;
    private static String handbook;

    @BeforeAll
    static void startJob(@InjectMiniCluster MiniCluster cluster) throws Exception {
        corpus = TestServices.testCorpus();
        handbook = corpus.stream().map(d -> d.get("text").asText()).collect(Collectors.joining("\n\n"));
        config = SERVICES.config("job.parallelism=2", "embedding.batch-size=8", "chunk.size=120");
        StreamExecutionEnvironment env = new TestStreamEnvironment(cluster, 4); // the extension's cluster
        RagstreamJob.buildFromConfig(env, config);
        job = env.executeAsync("ragstream-e2e");
    }

    @AfterAll
    static void stopJob() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
        SERVICES.dropTables();
    }

    @Test
    @Order(1)
    void publishedDocumentsBecomeRowsWithVectorsAndAreFoundBySearch() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (JsonNode doc : corpus) {
                TestServices.send(producer, SERVICES.documentsTopic, "acme/" + doc.get("id").asText(), doc.toString());
            }
            TestServices.send(producer, SERVICES.documentsTopic, "manuals/handbook",
                    event("manuals", "handbook", 1, "Field handbook", handbook));
            // the same id in another tenant, on another subject
            TestServices.send(producer, SERVICES.documentsTopic, "globex/volcanoes",
                    event("globex", "volcanoes", 1, "Quarterly sales report", "Sales of industrial pumps rose by four percent."));
            TestServices.send(producer, SERVICES.documentsTopic, "acme/broken", "{\"id\": \"broken\", \"text\": ");
            TestServices.send(producer, SERVICES.documentsTopic, "acme/empty", "{\"id\": \"empty\", \"text\": \"  \"}");
        }
        int expected = corpus.size() + 2;
        await(expected + " documents in " + SERVICES.documentsTable, WAIT,
                () -> count("SELECT count(*) FROM \"" + SERVICES.documentsTable + "\"") == expected);

        // every document's chunks are there, numbered 0..n-1, one row each
        assertThat(count("SELECT coalesce(sum(chunk_count), 0) FROM \"" + SERVICES.documentsTable + "\""))
                .isEqualTo(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\""));
        assertThat(count("SELECT count(*) FROM (SELECT tenant, doc_id FROM \"" + SERVICES.chunksTable
                + "\" GROUP BY tenant, doc_id HAVING max(chunk_no) <> count(*) - 1) gaps")).isZero();
        assertThat(count("SELECT chunk_count FROM \"" + SERVICES.documentsTable + "\" WHERE doc_id = 'handbook'"))
                .as("the handbook is longer than one chunk").isGreaterThanOrEqualTo(3);

        // 384-dim unit vectors from the configured model, content hashed as stored
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE vector_dims(embedding) <> 384"
                + " OR model <> 'all-MiniLM-L6-v2' OR abs(l2_norm(embedding) - 1) > 0.01"
                + " OR content_sha256 <> sha256(convert_to(content, 'UTF8'))")).isZero();
        assertThat(queryString("SELECT metadata->>'topic' FROM \"" + SERVICES.chunksTable
                + "\" WHERE tenant = 'acme' AND doc_id = 'espresso'")).isEqualTo("espresso");

        // the stored vector is the model's vector of the stored text (float16 rounding aside)
        String content = queryString("SELECT content FROM \"" + SERVICES.chunksTable
                + "\" WHERE tenant = 'acme' AND doc_id = 'tides' AND chunk_no = 0");
        float[] stored = parseVector(queryString("SELECT embedding::text FROM \"" + SERVICES.chunksTable
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

        List<ConsumerRecord<byte[], byte[]>> dead = TestServices.readTopic(SERVICES.dlqTopic, 2, WAIT);
        Map<String, String> reasons = new java.util.HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            JsonNode letter = JSON.readTree(r.value());
            reasons.put(new String(r.key(), StandardCharsets.UTF_8), letter.get("reason").asText());
            assertThat(letter.get("topic").asText()).isEqualTo(SERVICES.documentsTopic);
            assertThat(letter.get("value").asText()).isNotEmpty();
        }
        assertThat(reasons).containsEntry("acme/broken", "MALFORMED_JSON").containsEntry("acme/empty", "EMPTY_TEXT");
    }

    @Test
    @Order(2)
    void editsAndDeletesReachTheTables() throws Exception {
        String edited = handbook.replace("Tides are caused mainly by the Moon's gravity",
                "Tides, as every sailor knows, are caused mainly by the Moon's gravity");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, SERVICES.documentsTopic, "manuals/handbook",
                    event("manuals", "handbook", 2, "Field handbook", edited));
            TestServices.send(producer, SERVICES.documentsTopic, "acme/tides", (String) null); // tombstone
            TestServices.send(producer, SERVICES.documentsTopic, "acme/bees", "{\"tenant\": \"acme\", \"id\": \"bees\", \"op\": \"delete\"}");
            // a late, older version changes nothing
            TestServices.send(producer, SERVICES.documentsTopic, "manuals/handbook",
                    event("manuals", "handbook", 1, "Field handbook", "an old draft"));
        }
        await("the edit and the deletes", WAIT, () -> count("SELECT count(*) FROM \"" + SERVICES.documentsTable
                + "\" WHERE (doc_id = 'handbook' AND version = 2) OR (doc_id IN ('tides', 'bees') AND deleted)") == 3);

        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id IN ('tides', 'bees')")).isZero();
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id = 'handbook' AND version <> 2")).isZero();
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id = 'handbook'"
                + " AND content LIKE '%every sailor knows%'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE content LIKE '%old draft%'")).isZero();
        try (Searcher searcher = searcher()) {
            assertThat(searcher.search("acme", "Why the ocean has tides", 10)).extracting(SearchHit::docId).doesNotContain("tides");
        }
    }

    private static Searcher searcher() {
        return new Searcher(PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION), OnnxMiniLmEmbedder.shared());
    }

    private static String event(String tenant, String id, long version, String title, String text) {
        ObjectNode node = JSON.createObjectNode().put("tenant", tenant).put("id", id).put("version", version)
                .put("title", title).put("text", text);
        return node.toString();
    }

    static long count(String sql) throws Exception {
        try (Connection c = connect(); PreparedStatement st = c.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    static String queryString(String sql) throws Exception {
        try (Connection c = connect(); PreparedStatement st = c.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            assertThat(rs.next()).as("a row for %s", sql).isTrue();
            return rs.getString(1);
        }
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
