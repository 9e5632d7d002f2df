package io.ragstream.job;

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
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Invariant 3 and the dead-letter contract on the real broker, database and model, measured by the
 * job's own metrics: re-publishing an unchanged corpus embeds nothing, editing one paragraph of a
 * 20-chunk document embeds one chunk, CDC deletes and tombstones remove documents, and a stream
 * full of bad records dead-letters each with its reason while every valid one is indexed. One job
 * serves every test; each publishes its own tenants and texts, and measures the job's counters from
 * where they stood when it began, so none needs another to have run first.
 */
class IncrementalUpdatesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(4).withMetrics();

    private static TestServices services;
    private static String cdcTopic;
    private static List<JsonNode> corpus;

    @BeforeAll
    static void startJob() throws Exception {
        corpus = TestServices.testCorpus();
        services = IT.services("incremental");
        cdcTopic = "it." + services.name + ".cdc.public.docs";
        services.createTopics(2, services.documentsTopic, cdcTopic);
        IT.start(
                services.config(
                        "chunk.size=120",
                        "embedding.batch-size=16",
                        "kafka.cdc-topics=" + cdcTopic,
                        "ingest.max-document-bytes=20000"));
    }

    /**
     * 20 paragraphs, each its own chunk at chunk.size=120, numbered from {@code firstPart}: tests
     * number theirs apart, so that no text of one is in the job's embedding cache from another.
     */
    private static List<String> manual(int firstPart) {
        List<String> manual = new ArrayList<>();
        for (int part = firstPart; part <= firstPart + 1; part++) {
            for (JsonNode doc : corpus) {
                manual.add(
                        "Part "
                                + part
                                + ", "
                                + doc.get("title").asText()
                                + ". "
                                + doc.get("text").asText());
            }
        }
        return manual;
    }

    @Test
    void republishingAnUnchangedCorpusEmbedsNothing() throws Exception {
        String tenant = "republish";
        List<String> manual = manual(1);
        long embeddedBefore = IT.counter("chunksEmbedded");
        Timestamp first = databaseNow();
        publishCorpus(tenant, manual);
        await("the corpus indexed")
                .atMost(WAIT)
                .until(
                        () ->
                                documents(tenant, "updated_at >= '" + first + "'")
                                        == corpus.size() + 1);
        long chunks =
                count(
                        "SELECT count(*) FROM \""
                                + services.chunksTable
                                + "\" WHERE tenant = '"
                                + tenant
                                + "'");
        assertThat(
                        count(
                                "SELECT chunk_count FROM \""
                                        + services.documentsTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "' AND doc_id = 'manual'"))
                .isEqualTo(20);
        assertThat(IT.counter("chunksEmbedded") - embeddedBefore)
                .as("each chunk embedded once")
                .isEqualTo(chunks);

        Timestamp second = databaseNow();
        publishCorpus(
                tenant,
                manual); // the same documents again; each takes its record's timestamp as version
        await("the re-publish processed")
                .atMost(WAIT)
                .until(
                        () ->
                                documents(tenant, "updated_at >= '" + second + "'")
                                        == corpus.size() + 1);
        assertThat(IT.counter("chunksEmbedded") - embeddedBefore)
                .as("no backend call for unchanged text")
                .isEqualTo(chunks);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "' AND updated_at >= '"
                                        + second
                                        + "'"))
                .as("every chunk re-stamped with the new version")
                .isEqualTo(chunks);
    }

    private static Timestamp databaseNow() throws Exception {
        try (var c = TestServices.connect();
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT now()")) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    @Test
    void editingOneParagraphOfATwentyChunkDocumentEmbedsOneChunk() throws Exception {
        String tenant = "edit";
        List<String> manual = manual(3);
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            publishManual(producer, tenant, manual);
        }
        await("the manual indexed")
                .atMost(WAIT)
                .until(() -> documents(tenant, "doc_id = 'manual'") == 1);

        long before = IT.counter("chunksEmbedded");
        Map<Integer, String> old = manualChunks(tenant);
        List<String> edited = new ArrayList<>(manual);
        long editVersion =
                System.currentTimeMillis() + 60_000; // newer than the records' timestamps so far
        edited.set(7, edited.get(7) + " An edit, made later, adds this sentence.");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    tenant + "/manual",
                    document(tenant, "manual", editVersion, "Manual", String.join("\n\n", edited)));
        }
        await("the edit")
                .atMost(WAIT)
                .until(
                        () ->
                                count(
                                                "SELECT version FROM \""
                                                        + services.documentsTable
                                                        + "\" WHERE tenant = '"
                                                        + tenant
                                                        + "' AND doc_id = 'manual'")
                                        == editVersion);

        Map<Integer, String> now = manualChunks(tenant);
        assertThat(now).hasSize(20);
        List<Integer> changed =
                now.keySet().stream().filter(no -> !now.get(no).equals(old.get(no))).toList();
        assertThat(changed).containsExactly(7);
        assertThat(IT.counter("chunksEmbedded") - before)
                .as("only the edited chunk went to the model")
                .isEqualTo(1);
    }

    @Test
    void cdcDeletesAndTombstonesRemoveEveryRowOfADocument() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (String id : List.of("row-1", "row-2")) {
                TestServices.send(
                        producer,
                        cdcTopic,
                        key(id),
                        change(
                                "c",
                                null,
                                row(
                                        id,
                                        "Captured " + id,
                                        "Row "
                                                + id
                                                + " came through Debezium from PostgreSQL logical decoding."),
                                100));
            }
        }
        await("two CDC rows indexed")
                .atMost(WAIT)
                .until(
                        () ->
                                documents("acme", "doc_id IN ('row-1', 'row-2') AND NOT deleted")
                                        == 2);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE doc_id IN ('row-1', 'row-2')"))
                .isEqualTo(2);

        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(
                    producer,
                    cdcTopic,
                    key("row-1"),
                    change("d", row("row-1", "x", "y"), null, 200));
            TestServices.send(producer, cdcTopic, key("row-2"), null); // tombstone
        }
        await("both CDC rows deleted")
                .atMost(WAIT)
                .until(() -> documents("acme", "doc_id IN ('row-1', 'row-2') AND deleted") == 2);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE doc_id IN ('row-1', 'row-2')"))
                .isZero();
    }

    @Test
    void everyKindOfBadRecordIsDeadLetteredWithItsReasonAndValidOnesAreIndexed() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>(); // key -> expected reason
        List<byte[][]> records = new ArrayList<>(); // {topic, key, value}
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"x\", \"text\": ");
        badDocument(records, bad, "MALFORMED_JSON", "hello");
        badDocument(records, bad, "MALFORMED_JSON", "{\"id\": \"a\", \"text\": \"x\"} trailing");
        badDocument(
                records,
                bad,
                "MALFORMED_JSON",
                "{\"id\": \"a\", \"text\": \"x\"} {\"id\": \"b\", \"text\": \"y\"}");
        badDocument(records, bad, "MALFORMED_JSON", "");
        badDocument(
                records,
                bad,
                "MALFORMED_JSON",
                "{\"id\": \"m\", \"text\": \"x\", \"metadata\": \"not json\"}");
        badDocument(
                records, bad, "INVALID_UTF8", new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'});
        badDocument(
                records,
                bad,
                "INVALID_UTF8",
                "{\"id\": \"caf\u00e9\", \"text\": \"x\"}".getBytes(StandardCharsets.ISO_8859_1));
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
        badDocument(
                records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": \"7\", \"text\": \"x\"}");
        badDocument(
                records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": -1, \"text\": \"x\"}");
        badDocument(
                records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"version\": 1.5, \"text\": \"x\"}");
        badDocument(
                records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"text\": \"x\", \"metadata\": [1]}");
        badDocument(records, bad, "WRONG_TYPE", "{\"id\": \"a\", \"text\": 5}");
        badDocument(
                records, bad, "UNKNOWN_OP", "{\"id\": \"a\", \"op\": \"merge\", \"text\": \"x\"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"text\": \"\"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"text\": \" \\n\\t \"}");
        badDocument(records, bad, "EMPTY_TEXT", "{\"id\": \"a\", \"title\": \"only a title\"}");
        badDocument(
                records,
                bad,
                "TOO_LARGE",
                "{\"id\": \"big\", \"text\": \"" + "word ".repeat(5000) + "\"}");
        badChange(records, bad, "UNKNOWN_CDC_SHAPE", "{\"foo\": 1}");
        badChange(
                records,
                bad,
                "UNKNOWN_CDC_SHAPE",
                "{\"op\": \"c\", \"after\": {\"id\": \"q\", \"text\": \"x\"}}");
        badChange(
                records,
                bad,
                "UNKNOWN_OP",
                new String(change("x", null, row("q", "t", "x"), 300), StandardCharsets.UTF_8));
        badChange(
                records,
                bad,
                "MISSING_ID",
                new String(change("c", null, row(null, "t", "x"), 300), StandardCharsets.UTF_8));
        assertThat(bad).hasSizeGreaterThanOrEqualTo(25);

        long deadBefore = IT.counter("deadLettered");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            int valid = 0;
            for (byte[][] r : records) { // a valid document after every bad record
                TestServices.send(producer, new String(r[0], StandardCharsets.UTF_8), r[1], r[2]);
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        "mixed/ok-" + valid,
                        document(
                                "mixed",
                                "ok-" + valid,
                                1,
                                null,
                                "Valid document number " + valid + " among bad ones."));
                valid++;
            }
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    (String) null,
                    (String) null); // tombstone without a key
            bad.put("", "MISSING_KEY");
        }
        int validCount = records.size();
        await("every valid document among the bad ones")
                .atMost(WAIT)
                .until(
                        () ->
                                count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\" WHERE tenant = 'mixed'")
                                        == validCount);

        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TestServices.readTopic(
                        services.dlqTopic, r -> bad.containsKey(key(r)), bad.size(), WAIT)) {
            JsonNode letter = JSON.readTree(r.value());
            reasons.put(key(r), letter.get("reason").asText());
            assertThat(letter.get("detail").asText()).isNotBlank();
        }
        assertThat(reasons).isEqualTo(bad);
        assertThat(IT.counter("deadLettered") - deadBefore).isEqualTo(bad.size());
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    }

    private static void badDocument(
            List<byte[][]> records, Map<String, String> bad, String reason, String value) {
        badDocument(records, bad, reason, value.getBytes(StandardCharsets.UTF_8));
    }

    private static void badDocument(
            List<byte[][]> records, Map<String, String> bad, String reason, byte[] value) {
        String key = "bad/" + records.size();
        records.add(
                new byte[][] {
                    services.documentsTopic.getBytes(StandardCharsets.UTF_8),
                    key.getBytes(StandardCharsets.UTF_8),
                    value
                });
        bad.put(key, reason);
    }

    private static void badChange(
            List<byte[][]> records, Map<String, String> bad, String reason, String value) {
        String key = "{\"id\": \"bad-" + records.size() + "\"}";
        records.add(
                new byte[][] {
                    cdcTopic.getBytes(StandardCharsets.UTF_8),
                    key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8)
                });
        bad.put(key, reason);
    }

    /** The corpus and the manual, under {@code tenant}. */
    private static void publishCorpus(String tenant, List<String> manual) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (JsonNode doc : corpus) {
                ObjectNode event = ((ObjectNode) doc.deepCopy()).put("tenant", tenant);
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        tenant + "/" + doc.get("id").asText(),
                        event.toString());
            }
            publishManual(producer, tenant, manual);
        }
    }

    private static void publishManual(
            KafkaProducer<byte[], byte[]> producer, String tenant, List<String> manual)
            throws Exception {
        ObjectNode event =
                JSON.createObjectNode()
                        .put("tenant", tenant)
                        .put("id", "manual")
                        .put("title", "Manual")
                        .put("text", String.join("\n\n", manual));
        TestServices.send(producer, services.documentsTopic, tenant + "/manual", event.toString());
    }

    /**
     * Debezium's PostgreSQL change event, with the schema/payload wrapper of the JSON converter.
     */
    private static byte[] change(String op, ObjectNode before, ObjectNode after, long lsn) {
        ObjectNode source =
                JSON.createObjectNode()
                        .put("version", "2.7.0.Final")
                        .put("connector", "postgresql")
                        .put("name", "app")
                        .put("ts_ms", 1_763_700_000_000L + lsn)
                        .put("snapshot", "false")
                        .put("db", "app")
                        .put("schema", "public")
                        .put("table", "docs")
                        .put("txId", 700 + lsn)
                        .put("lsn", lsn);
        ObjectNode payload = JSON.createObjectNode();
        payload.set("before", before);
        payload.set("after", after);
        payload.set("source", source);
        payload.put("op", op).put("ts_ms", 1_763_700_000_100L + lsn);
        payload.putNull("transaction");
        ObjectNode envelope = JSON.createObjectNode();
        envelope.set(
                "schema",
                JSON.createObjectNode()
                        .put("type", "struct")
                        .put("name", "app.public.docs.Envelope"));
        envelope.set("payload", payload);
        return envelope.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode row(String id, String title, String text) {
        ObjectNode row =
                JSON.createObjectNode()
                        .put("tenant", "acme")
                        .put("title", title)
                        .put("text", text)
                        .put("metadata", "{\"source\": \"postgres\"}");
        return id == null ? row : row.put("id", id);
    }

    private static byte[] key(String id) {
        return ("{\"tenant\": \"acme\", \"id\": \"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String document(
            String tenant, String id, long version, String title, String text) {
        ObjectNode node =
                JSON.createObjectNode()
                        .put("tenant", tenant)
                        .put("id", id)
                        .put("version", version)
                        .put("text", text);
        return title == null ? node.toString() : node.put("title", title).toString();
    }

    private static long documents(String tenant, String where) throws Exception {
        return count(
                "SELECT count(*) FROM \""
                        + services.documentsTable
                        + "\" WHERE tenant = '"
                        + tenant
                        + "' AND "
                        + where);
    }

    private static Map<Integer, String> manualChunks(String tenant) throws Exception {
        Map<Integer, String> chunks = new HashMap<>();
        try (var c = TestServices.connect();
                var st = c.createStatement();
                var rs =
                        st.executeQuery(
                                "SELECT chunk_no, content FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "' AND doc_id = 'manual'")) {
            while (rs.next()) {
                chunks.put(rs.getInt(1), rs.getString(2));
            }
        }
        return chunks;
    }
}
