package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * DESIGN.md "Versions and deletes" on the real broker and database, in both sink modes: deletes
 * without a version of their own (tombstones, versionless deletes, Debezium's tombstone after a
 * delete) delete the newest version known and invent none, so a later version re-creates the
 * document, while a replay of the deleted version stays deleted. The same stream is then read again
 * by a fresh job (no state, other consumer group) against the tables it left, and the second half
 * of it arrives after the deleted documents' state has expired: the tables guard alone, and end the
 * same.
 */
class DeleteRecreateIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    @ParameterizedTest(name = "sink.mode={0}")
    @ValueSource(strings = {"exactly-once", "idempotent"})
    void deletedDocumentsComeBackWithANewerVersionAndOnlyThen(String sinkMode) throws Exception {
        TestServices services = IT.services("recreate");
        String cdcTopic = "it." + services.name + ".cdc";
        services.createTopics(1, services.documentsTopic, cdcTopic);
        List<String> settings =
                List.of(
                        "sink.mode=" + sinkMode,
                        "kafka.cdc-topics=" + cdcTopic,
                        "state.deleted-retention=1s");
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            RunningJob job = IT.start(services.config(settings.toArray(String[]::new)));
            publishBeforeDeletes(producer, services.documentsTopic, cdcTopic);
            Thread.sleep(
                    3_000); // the deleted documents' state expires: the tables alone guard what
            // follows
            publishAfterDeletes(producer, services.documentsTopic, cdcTopic);
            sentinels(producer, services.documentsTopic, cdcTopic, "first");
            await("the first job's tables")
                    .atMost(WAIT)
                    .until(() -> documents(services).equals(expected("first")));
            job.cancel();

            List<String> fresh = new ArrayList<>(settings);
            fresh.add("kafka.group-id=it-" + services.name + "-fresh");
            RunningJob freshJob = IT.start(services.config(fresh.toArray(String[]::new)));
            sentinels(producer, services.documentsTopic, cdcTopic, "second");
            await("a fresh job's replay of everything")
                    .atMost(WAIT)
                    .until(
                            () ->
                                    documents(services)
                                            .keySet()
                                            .containsAll(expected("second").keySet()));
            Map<String, String> replayed = documents(services);
            freshJob.cancel();

            assertThat(replayed).isEqualTo(expected("second"));
            assertThat(staleChunks(services))
                    .as("chunks of another version than their document's")
                    .isZero();
        }
    }

    /** tenant/id → "version:deleted:chunks", as the model says the tables must end. */
    private static Map<String, String> expected(String sentinelsUpTo) {
        Map<String, String> model = new TreeMap<>();
        model.put("acme/plain", "3:false:1"); // 1, 2, tombstone, 3
        model.put("acme/replayed", "2:true:0"); // 1, 2, tombstone, 2 again
        model.put("acme/versionless", "6:false:1"); // 5, delete without version, 6
        model.put("acme/delete-wins", "4:true:0"); // upsert 4, delete 4, upsert 4 again
        model.put(
                "acme/tombstone-first", "1:false:1"); // tombstone of a document never seen, then 1
        model.put("a/b/c", "1:false:1"); // tenant a/b, id c
        model.put("a/b/c ", "1:false:1"); // tenant a, id b/c (trailing blank: see documents())
        model.put(
                "default/pg-7",
                "300:false:1"); // Debezium PostgreSQL: c@100, d@200, tombstone, c@300
        model.put(
                "default/my-8",
                "3000:false:1"); // Debezium MySQL: c@1000, d@2000, tombstone, c@3000
        model.put("default/my-9", "2000:true:0"); // Debezium MySQL: c@1000, d@2000, tombstone
        if (sentinelsUpTo.equals("second")) {
            // read without state, the tombstone comes first and deletes the version the table
            // holds (DESIGN.md: "else stored in the documents table"); version 1 then replays as
            // the deleted version, and a delete wins at equal versions
            model.put("acme/tombstone-first", "1:true:0");
        }
        for (String round :
                sentinelsUpTo.equals("first") ? List.of("first") : List.of("first", "second")) {
            model.put("acme/sentinel-" + round, "1:false:1");
            model.put("default/sentinel-" + round, "1:false:1");
        }
        return model;
    }

    private static void publishBeforeDeletes(
            KafkaProducer<byte[], byte[]> producer, String docs, String cdc) throws Exception {
        send(producer, docs, "acme/plain", doc("acme", "plain", 1L, "first version"));
        send(producer, docs, "acme/plain", doc("acme", "plain", 2L, "second version"));
        send(producer, docs, "acme/plain", null);
        send(producer, docs, "acme/replayed", doc("acme", "replayed", 1L, "first"));
        send(producer, docs, "acme/replayed", doc("acme", "replayed", 2L, "second"));
        send(producer, docs, "acme/replayed", null);
        send(producer, docs, "acme/versionless", doc("acme", "versionless", 5L, "five"));
        send(
                producer,
                docs,
                null,
                "{\"tenant\": \"acme\", \"id\": \"versionless\", \"op\": \"delete\"}");
        send(producer, docs, "acme/delete-wins", doc("acme", "delete-wins", 4L, "four"));
        send(
                producer,
                docs,
                null,
                "{\"tenant\": \"acme\", \"id\": \"delete-wins\", \"op\": \"delete\", \"version\": 4}");
        send(producer, docs, "acme/tombstone-first", null);
        send(producer, cdc, "{\"id\": \"pg-7\"}", change("c", "pg-7", "postgresql", 100));
        send(producer, cdc, "{\"id\": \"pg-7\"}", change("d", "pg-7", "postgresql", 200));
        send(producer, cdc, "{\"id\": \"pg-7\"}", null);
        for (String id : List.of("my-8", "my-9")) {
            send(producer, cdc, "{\"id\": \"" + id + "\"}", change("c", id, "mysql", 1000));
            send(producer, cdc, "{\"id\": \"" + id + "\"}", change("d", id, "mysql", 2000));
            send(producer, cdc, "{\"id\": \"" + id + "\"}", null);
        }
    }

    private static void publishAfterDeletes(
            KafkaProducer<byte[], byte[]> producer, String docs, String cdc) throws Exception {
        send(producer, docs, "acme/plain", doc("acme", "plain", 3L, "third version"));
        send(producer, docs, "acme/replayed", doc("acme", "replayed", 2L, "second"));
        send(producer, docs, "acme/versionless", doc("acme", "versionless", 6L, "six"));
        send(producer, docs, "acme/delete-wins", doc("acme", "delete-wins", 4L, "four"));
        send(producer, docs, "acme/tombstone-first", doc("acme", "tombstone-first", 1L, "one"));
        send(producer, docs, null, doc("a/b", "c", 1L, "tenant a/b"));
        send(producer, docs, null, doc("a", "b/c", 1L, "tenant a"));
        send(producer, cdc, "{\"id\": \"pg-7\"}", change("c", "pg-7", "postgresql", 300));
        send(producer, cdc, "{\"id\": \"my-8\"}", change("c", "my-8", "mysql", 3000));
    }

    /**
     * One new document on each topic: once both are stored, everything published before them has
     * been read.
     */
    private static void sentinels(
            KafkaProducer<byte[], byte[]> producer, String docs, String cdc, String round)
            throws Exception {
        send(producer, docs, null, doc("acme", "sentinel-" + round, 1L, "sentinel"));
        send(
                producer,
                cdc,
                "{\"id\": \"sentinel-" + round + "\"}",
                change("c", "sentinel-" + round, "mysql", 1));
    }

    /**
     * tenant/id → "version:deleted:chunks". The two documents a/b + c and a + b/c would print
     * alike, so a document whose id holds a slash gets a trailing blank.
     */
    private static Map<String, String> documents(TestServices services) throws Exception {
        Map<String, String> rows = new TreeMap<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT d.tenant, d.doc_id, d.version, d.deleted,"
                                        + " (SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" c WHERE c.tenant = d.tenant AND c.doc_id = d.doc_id)"
                                        + " FROM \""
                                        + services.documentsTable
                                        + "\" d")) {
            while (rs.next()) {
                String key =
                        rs.getString(1)
                                + "/"
                                + rs.getString(2)
                                + (rs.getString(2).contains("/") ? " " : "");
                rows.put(key, rs.getLong(3) + ":" + rs.getBoolean(4) + ":" + rs.getLong(5));
            }
        } catch (java.sql.SQLException e) {
            return Map.of(); // the tables are not there yet
        }
        return rows;
    }

    private static long staleChunks(TestServices services) throws Exception {
        return count(
                "SELECT count(*) FROM \""
                        + services.chunksTable
                        + "\" c JOIN \""
                        + services.documentsTable
                        + "\" d USING (tenant, doc_id) WHERE c.version <> d.version OR d.deleted");
    }

    private static String doc(String tenant, String id, long version, String text) {
        return JSON.createObjectNode()
                .put("tenant", tenant)
                .put("id", id)
                .put("version", version)
                .put("text", text)
                .toString();
    }

    private static String change(String op, String id, String connector, long position) {
        String row = "{\"id\": \"" + id + "\", \"text\": \"row " + id + " at " + position + "\"}";
        return "{\"op\": \""
                + op
                + "\", \"before\": "
                + (op.equals("d") ? row : "null")
                + ", \"after\": "
                + (op.equals("d") ? "null" : row)
                + ", \"source\": {\"connector\": \""
                + connector
                + "\", \"lsn\": "
                + position
                + ", \"ts_ms\": "
                + position
                + "}}";
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String key, String value)
            throws Exception {
        TestServices.send(producer, topic, key, value);
    }
}
