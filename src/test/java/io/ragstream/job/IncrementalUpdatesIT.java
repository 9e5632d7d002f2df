package io.ragstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ragstream.testing.TestServices;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
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
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.ragstream.job.EndToEndIT.count;
import static io.ragstream.testing.TestServices.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 3 and the dead-letter contract on the real broker, database and model, measured by
 * the job's own metrics: re-publishing an unchanged corpus embeds nothing, editing one paragraph
 * of a 20-chunk document embeds one chunk, CDC deletes and tombstones remove documents, and a
 * stream full of bad records dead-letters each with its reason while every valid one is indexed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncrementalUpdatesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private static final TestServices SERVICES = new TestServices("incremental");
    private static final String CDC_TOPIC = "it." + SERVICES.name + ".cdc.public.docs";
    private static JobClient job;
    private static List<JsonNode> corpus;
    private static List<String> manual;

    @BeforeAll
    static void startJob(@InjectMiniCluster MiniCluster cluster) throws Exception {
        corpus = TestServices.testCorpus();
        manual = new ArrayList<>();
        for (int part = 1; part <= 2; part++) { // 20 paragraphs, each its own chunk at chunk.size=120
            for (JsonNode doc : corpus) {
                manual.add("Part " + part + ", " + doc.get("title").asText() + ". " + doc.get("text").asText());
            }
        }
        SERVICES.createTopics(2, SERVICES.documentsTopic, CDC_TOPIC);
        StreamExecutionEnvironment env = new TestStreamEnvironment(cluster, 4); // the extension's cluster
        RagstreamJob.buildFromConfig(env, SERVICES.config("chunk.size=120", "embedding.batch-size=16",
                "kafka.cdc-topics=" + CDC_TOPIC, "ingest.max-document-bytes=20000"));
        job = env.executeAsync("ragstream-incremental");
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
    void republishingAnUnchangedCorpusEmbedsNothing() throws Exception {
        Timestamp first = databaseNow();
        publishCorpus();
        await("the corpus indexed", WAIT, () -> documents("updated_at >= '" + first + "'") == corpus.size() + 1);
        long chunks = count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\"");
        assertThat(count("SELECT chunk_count FROM \"" + SERVICES.documentsTable + "\" WHERE doc_id = 'manual'")).isEqualTo(20);
        assertThat(counter("chunksEmbedded")).as("each chunk embedded once").isEqualTo(chunks);

        Timestamp second = databaseNow();
        publishCorpus(); // the same documents again; each takes its record's timestamp as version
        await("the re-publish processed", WAIT, () -> documents("updated_at >= '" + second + "'") == corpus.size() + 1);
        assertThat(counter("chunksEmbedded")).as("no backend call for unchanged text").isEqualTo(chunks);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE updated_at >= '" + second + "'"))
                .as("every chunk re-stamped with the new version").isEqualTo(chunks);
    }

    private static Timestamp databaseNow() throws Exception {
        try (var c = TestServices.connect(); var st = c.createStatement(); var rs = st.executeQuery("SELECT now()")) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    @Test
    @Order(2)
    void editingOneParagraphOfATwentyChunkDocumentEmbedsOneChunk() throws Exception {
        long before = counter("chunksEmbedded");
        Map<Integer, String> old = manualChunks();
        List<String> edited = new ArrayList<>(manual);
        long editVersion = System.currentTimeMillis() + 60_000; // newer than the records' timestamps so far
        edited.set(7, edited.get(7) + " An edit, made later, adds this sentence.");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, SERVICES.documentsTopic, "acme/manual",
                    document("acme", "manual", editVersion, "Manual", String.join("\n\n", edited)));
        }
        await("the edit", WAIT, () -> count("SELECT version FROM \"" + SERVICES.documentsTable + "\" WHERE doc_id = 'manual'") == editVersion);

        Map<Integer, String> now = manualChunks();
        assertThat(now).hasSize(20);
        List<Integer> changed = now.keySet().stream().filter(no -> !now.get(no).equals(old.get(no))).toList();
        assertThat(changed).containsExactly(7);
        assertThat(counter("chunksEmbedded") - before).as("only the edited chunk went to the model").isEqualTo(1);
    }

    @Test
    @Order(3)
    void cdcDeletesAndTombstonesRemoveEveryRowOfADocument() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (String id : List.of("row-1", "row-2")) {
                TestServices.send(producer, CDC_TOPIC, key(id), change("c", null, row(id, "Captured " + id,
                        "Row " + id + " came through Debezium from PostgreSQL logical decoding."), 100));
            }
        }
        await("two CDC rows indexed", WAIT, () -> documents("doc_id IN ('row-1', 'row-2') AND NOT deleted") == 2);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id IN ('row-1', 'row-2')")).isEqualTo(2);

        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, CDC_TOPIC, key("row-1"), change("d", row("row-1", "x", "y"), null, 200));
            TestServices.send(producer, CDC_TOPIC, key("row-2"), null); // tombstone
        }
        await("both CDC rows deleted", WAIT, () -> documents("doc_id IN ('row-1', 'row-2') AND deleted") == 2);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id IN ('row-1', 'row-2')")).isZero();
    }

    @Test
    @Order(4)
    void everyKindOfBadRecordIsDeadLetteredWithItsReasonAndValidOnesAreIndexed() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>(); // key -> expected reason
        List<byte[][]> records = new ArrayList<>();     // {topic, key, value}
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"x\", \"text\": ");
        badDocument(records, bad, "MALFORMED_JSON", "hello");
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"a\", \"text\": \"x\"} trailing");
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"a\", \"text\": \"x\"} {\"id\": \"b\", \"text\": \"y\"}");
        badDocument(records, bad, "MALFORMED_JSON", "");
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"m\", \"text\": \"x\", \"metadata\": \"not json\"}");
        badDocument(records, bad, "INVALID_UTF8", new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'});
        badDocument(records, bad, "INVALID_UTF8", "{\"id\": \"caf\u00e9\", \"text\": \"x\"}".getBytes(StandardCharsets.ISO_8859_1));
        badDocument(records, bad, "NOT_AN_OBJECT", "[1, 2]");
        badDocument(records, bad, "NOT_AN_OBJECT", "\"doc\"");
        badDocument(records, bad, "NOT_AN_OBJECT", "42");
        badDocument(records, bad, "NOT_AN_OBJECT", "null");
        badDocument(records, bad, "MISSING_ID", "{\"text\": \"x\"}");
        badDocument(records, bad, "MISSING_ID", "{\"id\": \"\", \"text\": \"x\"}");
        badDocument(records, bad, "MISSING_ID", "{\"id\": null, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": {\"a\": 1}, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": 1.5, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"tenant\": 7, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": \"7\", \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": -1, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": 1.5, \"text\": \"x\"}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"text\": \"x\", \"metadata\": [1]}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"text\": 5}");
        badDocument(records, bad, "UNKNOWN_OP", "{\"id\": \"a\", \"op\": \"merge\", \"text\": \"x\"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"text\": \"\"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"text\": \" \\n\\t \"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"title\": \"only a title\"}");
        badDocument(records, bad, "TOO_LARGE", "{\"id\": \"big\", \"text\": \"" + "word ".repeat(5000) + "\"}");
        badChange(records, bad, "UNKNOWN_CDC_SHAPE", "{\"foo\": 1}");
        badChange(records, bad, "UNKNOWN_CDC_SHAPE", "{\"op\": \"c\", \"after\": {\"id\": \"q\", \"text\": \"x\"}}");
        badChange(records, bad, "UNKNOWN_OP", new String(change("x", null, row("q", "t", "x"), 300), StandardCharsets.UTF_8));
        badChange(records, bad, "MISSING_ID", new String(change("c", null, row(null, "t", "x"), 300), StandardCharsets.UTF_8));
        assertThat(bad).hasSizeGreaterThanOrEqualTo(25);

        long deadBefore = counter("deadLettered");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            int valid = 0;
            for (byte[][] r : records) { // a valid document after every bad record
                TestServices.send(producer, new String(r[0], StandardCharsets.UTF_8), r[1], r[2]);
                TestServices.send(producer, SERVICES.documentsTopic, "mixed/ok-" + valid,
                        document("mixed", "ok-" + valid, 1, null, "Valid document number " + valid + " among bad ones."));
                valid++;
            }
            TestServices.send(producer, SERVICES.documentsTopic, (String) null, (String) null); // tombstone without a key
            bad.put("", "MISSING_KEY");
        }
        int validCount = records.size();
        await("every valid document among the bad ones", WAIT,
                () -> count("SELECT count(*) FROM \"" + SERVICES.documentsTable + "\" WHERE tenant = 'mixed'") == validCount);

        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TestServices.readTopic(SERVICES.dlqTopic, bad.size(), WAIT)) {
            JsonNode letter = JSON.readTree(r.value());
            reasons.put(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8), letter.get("reason").asText());
            assertThat(letter.get("detail").asText()).isNotBlank();
        }
        assertThat(reasons).isEqualTo(bad);
        assertThat(counter("deadLettered") - deadBefore).isEqualTo(bad.size());
    }

    private static void badDocument(List<byte[][]> records, Map<String, String> bad, String reason, String value) {
        badDocument(records, bad, reason, value.getBytes(StandardCharsets.UTF_8));
    }

    private static void badDocument(List<byte[][]> records, Map<String, String> bad, String reason, byte[] value) {
        String key = "bad/" + records.size();
        records.add(new byte[][] {SERVICES.documentsTopic.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8), value});
        bad.put(key, reason);
    }

    private static void badChange(List<byte[][]> records, Map<String, String> bad, String reason, String value) {
        String key = "{\"id\": \"bad-" + records.size() + "\"}";
        records.add(new byte[][] {CDC_TOPIC.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8)});
        bad.put(key, reason);
    }

    private static void publishCorpus() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (JsonNode doc : corpus) {
                ObjectNode event = doc.deepCopy();
                TestServices.send(producer, SERVICES.documentsTopic, "acme/" + doc.get("id").asText(), event.toString());
            }
            ObjectNode manualEvent = JSON.createObjectNode().put("tenant", "acme").put("id", "manual")
                    .put("title", "Manual").put("text", String.join("\n\n", manual));
            TestServices.send(producer, SERVICES.documentsTopic, "acme/manual", manualEvent.toString());
        }
    }

    /** Debezium's PostgreSQL change event, with the schema/payload wrapper of the JSON converter. */
    private static byte[] change(String op, ObjectNode before, ObjectNode after, long lsn) {
        ObjectNode source = JSON.createObjectNode().put("version", "2.7.0.Final").put("connector", "postgresql")
                .put("name", "app").put("ts_ms", 1_763_700_000_000L + lsn).put("snapshot", "false").put("db", "app")
                .put("schema", "public").put("table", "docs").put("txId", 700 + lsn).put("lsn", lsn);
        ObjectNode payload = JSON.createObjectNode();
        payload.set("before", before);
        payload.set("after", after);
        payload.set("source", source);
        payload.put("op", op).put("ts_ms", 1_763_700_000_100L + lsn);
        payload.putNull("transaction");
        ObjectNode envelope = JSON.createObjectNode();
        envelope.set("schema", JSON.createObjectNode().put("type", "struct").put("name", "app.public.docs.Envelope"));
        envelope.set("payload", payload);
        return envelope.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode row(String id, String title, String text) {
        ObjectNode row = JSON.createObjectNode().put("tenant", "acme").put("title", title).put("text", text)
                .put("metadata", "{\"source\": \"postgres\"}");
        return id == null ? row : row.put("id", id);
    }

    private static byte[] key(String id) {
        return ("{\"tenant\": \"acme\", \"id\": \"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String document(String tenant, String id, long version, String title, String text) {
        ObjectNode node = JSON.createObjectNode().put("tenant", tenant).put("id", id).put("version", version).put("text", text);
        return title == null ? node.toString() : node.put("title", title).toString();
    }

    private static long documents(String where) throws Exception {
        return count("SELECT count(*) FROM \"" + SERVICES.documentsTable + "\" WHERE " + where);
    }

    private static Map<Integer, String> manualChunks() throws Exception {
        Map<Integer, String> chunks = new HashMap<>();
        try (var c = TestServices.connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT chunk_no, content FROM \"" + SERVICES.chunksTable + "\" WHERE doc_id = 'manual'")) {
            while (rs.next()) {
                chunks.put(rs.getInt(1), rs.getString(2));
            }
        }
        return chunks;
    }

    /** A counter in the operators' ragstream groups, summed over subtasks, e.g. chunksEmbedded. */
    private static long counter(String name) {
        long sum = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> group : METRICS.getMetricsByGroup().entrySet()) {
            Metric metric = group.getValue().get(name);
            if (metric instanceof Counter counter && group.getKey().getMetricIdentifier(name).endsWith(".ragstream." + name)) {
                sum += counter.getCount();
            }
        }
        return sum;
    }
}
