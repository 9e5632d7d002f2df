package io.ragstream.job;

import io.ragstream.ingest.DocumentEvent;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.common.JobStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.ragstream.testing.TestServices.queryString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12's "done when": a stream mixing the poison a real producer or Debezium can send with
 * valid documents, published to the real broker while the job runs in exactly-once mode. Every
 * valid document is indexed, every poison record is dead-lettered with its reason or handled as the
 * README's bad-input table says, and the job never restarts: Flink's own {@code numRestarts} and
 * exception history (the web UI's) say so.
 */
class PoisonStreamIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(240);
    private static final int MAX_DOCUMENT_BYTES = 1024 * 1024;

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private TestServices services;
    private String cdcTopic;

    /** Where each record landed (topic:offset) → the dead-letter reason it must get. */
    private final Map<String, String> expectedLetters = new HashMap<>();

    private final List<String> kinds = new ArrayList<>();

    @BeforeEach
    void namespace() {
        services = IT.services("poison");
        cdcTopic = "it." + services.name + ".cdc";
    }

    @Test
    void poisonIsDeadLetteredOrHandledAndTheJobNeverRestarts() throws Exception {
        services.createTopics(
                1,
                Map.of("max.message.bytes", Integer.toString(4 * 1024 * 1024)),
                services.documentsTopic,
                cdcTopic);
        RunningJob job =
                IT.start(
                        services.config(
                                "sink.mode=exactly-once",
                                "kafka.cdc-topics=" + cdcTopic,
                                "ingest.max-document-bytes=" + MAX_DOCUMENT_BYTES));
        try (KafkaProducer<byte[], byte[]> producer =
                TestServices.producer(
                        Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024))) {
            publish(producer);
            try {
                await("every valid document indexed")
                        .atMost(WAIT)
                        .until(() -> storedKeys().containsAll(VALID.keySet()));
            } finally {
                assertThat(storedKeys()).as("stored documents").containsAll(VALID.keySet());
            }
            await("the Debezium placeholder applied")
                    .atMost(WAIT)
                    .until(() -> "2000:1".equals(versionAndChunks("default", "cdc-toast")));
            await("the truncate applied")
                    .atMost(WAIT)
                    .until(
                            () ->
                                    TestServices.rows(
                                                    "SELECT version FROM \""
                                                            + services.documentsTable
                                                            + "\" WHERE tenant = '' AND doc_id = '"
                                                            + cdcTopic
                                                            + "'")
                                            .equals(List.of("9")));

            assertThat(kinds).hasSizeGreaterThanOrEqualTo(40);
            kinds.forEach(kind -> System.out.println("poison: " + kind));
            assertValidDocumentsAsPublished();
            assertHandledAsDocumented();
            assertDeadLetters();
            assertNeverRestarted(job);
        }
    }

    /** tenant/id (as DocumentEvent.key writes it) → the text stored chunks must join back to. */
    private static final Map<String, String> VALID = new HashMap<>();

    private void publish(KafkaProducer<byte[], byte[]> producer) throws Exception {
        String docs = services.documentsTopic;
        Random random = new Random(12);
        valid(producer, "acme", "intro", "The first of the valid documents, before any poison.");

        // ---- malformed values
        poison(producer, docs, "malformed JSON", "{not json", "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "truncated JSON",
                "{\"id\": \"t\", \"text\": \"cut",
                "MALFORMED_JSON");
        poison(producer, docs, "empty value", "", "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "two objects in one value",
                "{\"id\": \"a\", \"text\": \"x\"} {\"id\": \"b\"}",
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "a byte-order mark",
                "\uFEFF{\"id\": \"bom\", \"text\": \"x\"}",
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "comments",
                "{\"id\": \"c\", /* why */ \"text\": \"x\"}",
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "NaN",
                "{\"id\": \"n\", \"text\": \"x\", \"version\": NaN}",
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "a field given twice",
                "{\"id\": \"a\", \"id\": \"b\", \"text\": \"x\"}",
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "800 KB of malformed JSON",
                "{\"id\": \"big\", \"text\": \"" + "x".repeat(800 * 1024),
                "MALFORMED_JSON");
        poison(
                producer,
                docs,
                "invalid UTF-8",
                new byte[] {'{', '"', 'i', 'd', '"', ':', (byte) 0xC3, (byte) 0x28, '}'},
                "INVALID_UTF8");
        poison(producer, docs, "random bytes", randomBytes(random, 300), "INVALID_UTF8");
        poison(
                producer,
                docs,
                "a JSON array",
                "[{\"id\": \"a\", \"text\": \"x\"}]",
                "NOT_AN_OBJECT");
        poison(producer, docs, "a JSON string", "\"just text\"", "NOT_AN_OBJECT");
        // ---- wrong fields
        poison(producer, docs, "no id", "{\"text\": \"x\"}", "MISSING_ID");
        poison(producer, docs, "an empty id", "{\"id\": \"\", \"text\": \"x\"}", "MISSING_ID");
        poison(
                producer,
                docs,
                "an id object",
                "{\"id\": {\"v\": 1}, \"text\": \"x\"}",
                "WRONG_TYPE");
        poison(producer, docs, "a numeric text", "{\"id\": \"n\", \"text\": 42}", "WRONG_TYPE");
        poison(
                producer,
                docs,
                "a negative version",
                "{\"id\": \"n\", \"text\": \"x\", \"version\": -1}",
                "WRONG_TYPE");
        poison(
                producer,
                docs,
                "a version string",
                "{\"id\": \"n\", \"text\": \"x\", \"version\": \"7\"}",
                "WRONG_TYPE");
        poison(
                producer,
                docs,
                "metadata an array",
                "{\"id\": \"n\", \"text\": \"x\", \"metadata\": [1]}",
                "WRONG_TYPE");
        poison(
                producer,
                docs,
                "version Long.MAX_VALUE",
                "{\"id\": \"n\", \"text\": \"x\", \"version\": 9223372036854775807}",
                "VERSION_OUT_OF_RANGE");
        poison(
                producer,
                docs,
                "an unknown op",
                "{\"id\": \"n\", \"text\": \"x\", \"op\": \"merge\"}",
                "UNKNOWN_OP");
        poison(producer, docs, "an upsert without text", "{\"id\": \"n\"}", "EMPTY_TEXT");
        poison(
                producer,
                docs,
                "blank text",
                "{\"id\": \"n\", \"text\": \" \\n\\t \"}",
                "EMPTY_TEXT");
        poison(
                producer,
                docs,
                "zero-width text",
                "{\"id\": \"n\", \"text\": \"\\u200b\\u200d\\ufeff\"}",
                "EMPTY_TEXT");
        // ---- what PostgreSQL cannot store, or index
        poison(
                producer,
                docs,
                "NUL in the id",
                "{\"id\": \"a\\u0000b\", \"text\": \"x\"}",
                "UNSTORABLE_CHARACTER");
        poison(
                producer,
                docs,
                "NUL in the tenant",
                "{\"tenant\": \"t\\u0000\", \"id\": \"a\", \"text\": \"x\"}",
                "UNSTORABLE_CHARACTER");
        poison(
                producer,
                docs,
                "an unpaired surrogate in the id",
                "{\"id\": \"a\\ud800\", \"text\": \"x\"}",
                "UNSTORABLE_CHARACTER");
        poison(
                producer,
                docs,
                "NUL in metadata",
                "{\"id\": \"a\", \"text\": \"x\", \"metadata\": {\"k\": \"\\u0000\"}}",
                "UNSTORABLE_CHARACTER");
        poison(
                producer,
                docs,
                "a 3 KB id",
                JSON.createObjectNode().put("id", "i".repeat(3000)).put("text", "x").toString(),
                "ID_TOO_LONG");
        poison(
                producer,
                docs,
                "a 3 KB tenant of random characters",
                JSON.createObjectNode()
                        .put("tenant", randomText(random, 1500))
                        .put("id", "a")
                        .put("text", "x")
                        .toString(),
                "ID_TOO_LONG");
        poison(
                producer,
                docs,
                "100 KB of metadata",
                "{\"id\": \"m\", \"text\": \"x\", \"metadata\": {\"k\": \""
                        + "v".repeat(100_000)
                        + "\"}}",
                "METADATA_TOO_LARGE");
        poison(
                producer,
                docs,
                "metadata nested 100 deep",
                "{\"id\": \"m\", \"text\": \"x\", \"metadata\": "
                        + "{\"k\": ".repeat(100)
                        + "1"
                        + "}".repeat(100)
                        + "}",
                "METADATA_TOO_LARGE");
        poison(
                producer,
                docs,
                "a number jsonb cannot hold",
                "{\"id\": \"m\", \"text\": \"x\", \"metadata\": {\"n\": 1e400000}}",
                "METADATA_TOO_LARGE");
        poison(
                producer,
                docs,
                "a document over ingest.max-document-bytes",
                JSON.createObjectNode()
                        .put("id", "huge")
                        .put("text", "word ".repeat(MAX_DOCUMENT_BYTES / 4))
                        .toString(),
                "TOO_LARGE");
        // ---- tombstones
        poison(producer, docs, "a tombstone without a key", null, null, "MISSING_KEY");
        poison(producer, docs, "a tombstone keyed acme/", "acme/", null, "MISSING_ID");
        valid(producer, "acme", "middle", "A valid document between the poison records.");

        // ---- handled, not dead-lettered (README's bad-input table)
        valid(
                producer,
                "acme",
                "nul-in-text",
                "Text with a NUL\u0000 inside, removed before it is stored.");
        publishJson(
                producer,
                "acme",
                "surrogate-in-text",
                "{\"tenant\": \"acme\", \"id\": \"surrogate-in-text\", \"text\": \"An unpaired \\ud800 surrogate.\"}");
        VALID.put("acme/surrogate-in-text", "An unpaired \uFFFD surrogate.");
        kinds.addAll(
                List.of(
                        "a NUL in the text | stored without it",
                        "an unpaired surrogate in the text | stored with U+FFFD"));
        valid(
                producer,
                "acme",
                "cjk",
                "\u6f22\u5b57\u4e2d\u6587".repeat(25_000)); // 300 KB without a space
        valid(producer, "acme", "emoji-then-words", "\uD83D\uDE00 " + "word ".repeat(20_000));
        valid(producer, "acme", "one-long-word", "x".repeat(2_000));
        valid(producer, "acme", "thai", "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22".repeat(3_000));
        valid(
                producer,
                "acme",
                "\u0001control\u0007id",
                "An id with control characters PostgreSQL stores as they are.");
        valid(producer, "a/b", "c", "Tenant a/b, document c.");
        valid(
                producer,
                "a",
                "b/c",
                "Tenant a, document b/c: the same tenant/id string, another document.");
        kinds.add(
                "tenant a/b with id c, and tenant a with id b/c | two documents, neither overwrites the other");
        valid(
                producer,
                "a/b",
                "gone",
                "Deleted below by a JSON tombstone key, as a tenant holding a slash needs.");
        valid(
                producer,
                "acme",
                "\u05e9\u05dc\u05d5\u05dd-\uD83D\uDE80",
                "A right-to-left id with an emoji.");
        publishJson(
                producer,
                "acme",
                "decimal-metadata",
                "{\"tenant\": \"acme\", \"id\": \"decimal-metadata\", \"text\": \"Exact numbers.\", \"metadata\": {\"big\": 1e400, \"price\": 0.10}}");
        VALID.put("acme/decimal-metadata", "Exact numbers.");
        kinds.add("1e400 and 0.10 in metadata | stored exactly");
        publishJson(
                producer,
                "acme",
                "metadata-string",
                "{\"tenant\": \"acme\", \"id\": \"metadata-string\", \"text\": \"Metadata as a string.\", \"metadata\": \"{\\\"k\\\": 1}\"}");
        VALID.put("acme/metadata-string", "Metadata as a string.");
        send(producer, docs, "{\"tenant\": \"a/b\", \"id\": \"gone\"}", null);
        VALID.remove(DocumentEvent.key("a/b", "gone"));
        kinds.add("a JSON tombstone key for a tenant holding a slash | deleted that document");

        // ---- Debezium on the CDC topic
        poison(
                producer,
                cdcTopic,
                "a change without source",
                "{\"op\": \"c\", \"after\": {\"id\": 1, \"text\": \"x\"}}",
                "UNKNOWN_CDC_SHAPE");
        poison(
                producer,
                cdcTopic,
                "a document event on a CDC topic",
                "{\"id\": \"d\", \"text\": \"x\"}",
                "UNKNOWN_CDC_SHAPE");
        poison(
                producer,
                cdcTopic,
                "an LSN as a string",
                "{\"op\": \"c\", \"after\": {\"id\": 1, \"text\": \"x\"}, \"source\": {\"connector\": \"postgresql\", \"lsn\": \"0/16B3748\"}}",
                "WRONG_TYPE");
        poison(
                producer,
                cdcTopic,
                "a key-only delete without a key",
                null,
                "{\"op\": \"d\", \"before\": null, \"source\": {\"connector\": \"mysql\", \"ts_ms\": 5}}",
                "MISSING_KEY");
        send(
                producer,
                cdcTopic,
                "{\"id\": \"cdc-truncated\"}",
                change("c", "cdc-truncated", "Removed by the truncate below.", 5));
        send(
                producer,
                cdcTopic,
                null,
                "{\"op\": \"t\", \"source\": {\"connector\": \"postgresql\", \"lsn\": 9, \"schema\": \"public\", \"table\": \"articles\"}}");
        send(
                producer,
                cdcTopic,
                "{\"id\": \"cdc-truncated\"}",
                change("c", "cdc-truncated", "A replay older than the truncate.", 7));
        kinds.add(
                "a truncate | deletes what its topic wrote before it; an older replay stays deleted");
        for (String skipped :
                List.of(
                        "{\"ts_ms\": 1733333333333}",
                        "{\"status\": \"BEGIN\", \"id\": \"571:53195829\", \"ts_ms\": 1}",
                        "{\"status\": \"END\", \"id\": \"571:53195829\", \"event_count\": 1, \"ts_ms\": 1}",
                        "{\"source\": {\"connector\": \"mysql\", \"ts_ms\": 1}, \"ddl\": \"ALTER TABLE t ADD c INT\", \"tableChanges\": []}",
                        "{\"op\": \"m\", \"source\": {\"connector\": \"postgresql\", \"lsn\": 3}, \"message\": {\"prefix\": \"p\"}}")) {
            send(producer, cdcTopic, "{\"serverName\": \"app\"}", skipped);
        }
        kinds.addAll(
                List.of(
                        "a heartbeat | skipped",
                        "a transaction BEGIN | skipped",
                        "a transaction END | skipped",
                        "a schema change | skipped",
                        "a logical decoding message | skipped"));
        send(
                producer,
                cdcTopic,
                "{\"id\": \"cdc-toast\"}",
                change("c", "cdc-toast", "The text Debezium will not send again.", 1000));
        send(
                producer,
                cdcTopic,
                "{\"id\": \"cdc-toast\"}",
                change("u", "cdc-toast", "__debezium_unavailable_value", 2000));
        kinds.add(
                "Debezium's placeholder for an unchanged TOASTed column | new version, stored chunks kept");
        send(
                producer,
                cdcTopic,
                "{\"id\": \"cdc-nul\"}",
                change("c", "cdc-nul", "A CDC row with a NUL\u0000.", 1500));
        VALID.put("default/cdc-nul", "A CDC row with a NUL.");
        kinds.add("a NUL in a CDC text column | stored without it");
        valid(producer, "acme", "outro", "The last of the valid documents, after all the poison.");
    }

    private void valid(
            KafkaProducer<byte[], byte[]> producer, String tenant, String id, String text)
            throws Exception {
        publishJson(
                producer,
                tenant,
                id,
                JSON.createObjectNode()
                        .put("tenant", tenant)
                        .put("id", id)
                        .put("text", text)
                        .toString());
        VALID.put(DocumentEvent.key(tenant, id), text.replace("\u0000", ""));
        if (text.chars().anyMatch(c -> c > 127)
                || text.length() > 1000
                || !id.chars().allMatch(c -> c >= 32 && c < 128)) {
            kinds.add("valid: " + id + " | stored");
        }
    }

    private void publishJson(
            KafkaProducer<byte[], byte[]> producer, String tenant, String id, String json)
            throws Exception {
        send(producer, services.documentsTopic, null, json);
    }

    private void poison(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            String kind,
            Object value,
            String reason)
            throws Exception {
        poison(producer, topic, kind, "poison", value, reason);
    }

    private void poison(
            KafkaProducer<byte[], byte[]> producer,
            String topic,
            String kind,
            String key,
            Object value,
            String reason)
            throws Exception {
        byte[] bytes =
                value == null
                        ? null
                        : value instanceof byte[] b
                                ? b
                                : ((String) value).getBytes(StandardCharsets.UTF_8);
        long offset = send(producer, topic, key, bytes);
        expectedLetters.put(topic + ":" + offset, reason);
        kinds.add(kind + " | dead letter " + reason);
    }

    private static long send(
            KafkaProducer<byte[], byte[]> producer, String topic, String key, Object value)
            throws Exception {
        byte[] bytes =
                value == null
                        ? null
                        : value instanceof byte[] b
                                ? b
                                : ((String) value).getBytes(StandardCharsets.UTF_8);
        return producer.send(
                        new ProducerRecord<>(
                                topic,
                                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                                bytes))
                .get()
                .offset();
    }

    private void assertValidDocumentsAsPublished() throws Exception {
        for (Map.Entry<String, String> doc : VALID.entrySet()) {
            assertThat(
                            storedText(
                                    DocumentEvent.tenantOfKey(doc.getKey()),
                                    DocumentEvent.idOfKey(doc.getKey())))
                    .as(doc.getKey())
                    .isEqualToIgnoringWhitespace(doc.getValue());
        }
    }

    private void assertHandledAsDocumented() throws Exception {
        assertThat(storedText("a/b", "gone")).as("deleted by its JSON tombstone key").isEmpty();
        assertThat(storedText("default", "cdc-truncated")).as("deleted by the truncate").isEmpty();
        assertThat(versionAndChunks("default", "cdc-toast")).isEqualTo("2000:1");
        assertThat(storedText("default", "cdc-toast"))
                .as("the placeholder keeps the stored text")
                .isEqualTo("The text Debezium will not send again.");
        assertThat(
                        queryString(
                                "SELECT (metadata->>'big')::numeric = 1e400 AND metadata->>'price' = '0.10'"
                                        + " FROM \""
                                        + services.chunksTable
                                        + "\" WHERE doc_id = 'decimal-metadata'"))
                .as("exact numbers")
                .isEqualTo("t");
    }

    private void assertDeadLetters() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> letters =
                TestServices.readTopic(services.dlqTopic, expectedLetters.size(), WAIT);
        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> letter : letters) {
            assertThat(letter.serializedValueSize()).isLessThan(1024 * 1024);
            JsonNode body = JSON.readTree(letter.value());
            reasons.put(
                    body.get("topic").asText() + ":" + body.get("offset").asLong(),
                    body.get("reason").asText());
        }
        assertThat(reasons).isEqualTo(expectedLetters);
    }

    private static void assertNeverRestarted(RunningJob job) throws Exception {
        assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        // the web UI's metrics come from a fetcher that polls every few seconds
        await("numRestarts in the REST API")
                .atMost(Duration.ofSeconds(60))
                .until(() -> job.restJson("/metrics?get=numRestarts").size() > 0);
        JsonNode restarts = job.restJson("/metrics?get=numRestarts");
        assertThat(restarts.get(0).get("value").asText()).as("numRestarts").isEqualTo("0");
        JsonNode exceptions = job.restJson("/exceptions");
        assertThat(exceptions.get("exceptionHistory").get("entries"))
                .as("the web UI's exception history")
                .isEmpty();
    }

    private List<String> storedKeys() throws Exception {
        List<String> keys = new ArrayList<>();
        try (Connection c = TestServices.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT tenant, doc_id FROM \""
                                        + services.documentsTable
                                        + "\" WHERE NOT deleted");
                ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                keys.add(DocumentEvent.key(rs.getString(1), rs.getString(2)));
            }
        } catch (java.sql.SQLException e) {
            return List.of(); // not created yet
        }
        return keys;
    }

    private String storedText(String tenant, String id) throws Exception {
        try (Connection c = TestServices.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT coalesce(string_agg(content, ' ' ORDER BY chunk_no), '') FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = ? AND doc_id = ?")) {
            st.setString(1, tenant);
            st.setString(2, id);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private String versionAndChunks(String tenant, String id) throws Exception {
        try (Connection c = TestServices.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT d.version || ':' || d.chunk_count FROM \""
                                        + services.documentsTable
                                        + "\" d"
                                        + " WHERE tenant = ? AND doc_id = ? AND EXISTS (SELECT 1 FROM \""
                                        + services.chunksTable
                                        + "\" k WHERE k.tenant = d.tenant AND k.doc_id = d.doc_id AND k.version = d.version)")) {
            st.setString(1, tenant);
            st.setString(2, id);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    private static String change(String op, String id, String text, long lsn) {
        return JSON.createObjectNode()
                .put("op", op)
                .putNull("before")
                .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                        "after", JSON.createObjectNode().put("id", id).put("text", text))
                .set(
                        "source",
                        JSON.createObjectNode().put("connector", "postgresql").put("lsn", lsn))
                .toString();
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        bytes[0] = (byte) 0xFF; // never valid UTF-8, whatever follows
        return bytes;
    }

    private static String randomText(Random random, int codePoints) {
        StringBuilder out = new StringBuilder();
        while (out.codePointCount(0, out.length()) < codePoints) {
            int cp = 0x20 + random.nextInt(0x2FFFF);
            if (Character.isDefined(cp) && !Character.isSurrogate((char) cp) && cp != '/') {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }
}
