package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * README "The database restored from a backup": the tables go back to a backup while the job's
 * state and the topics hold the changes since. The recipe (the consumer group moved back to the
 * backup's time, the job started without its state) brings every change back.
 */
class DatabaseRestoredIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    @Test
    void theRecipeBringsBackEveryChangeSinceTheBackup() throws Exception {
        TestServices services = IT.services("dbrestore");
        services.createTopics(1, services.documentsTopic);
        var job = IT.start(services.config());
        long backupAt;
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            send(producer, services, "a", "{\"id\": \"a\", \"version\": 1, \"text\": \"a one\"}");
            send(producer, services, "b", "{\"id\": \"b\", \"version\": 1, \"text\": \"b one\"}");
            send(producer, services, "c", "{\"id\": \"c\", \"version\": 1, \"text\": \"c one\"}");
            send(producer, services, "n", "{\"id\": \"n\", \"text\": \"n one\"}");
            await("stored").atMost(WAIT).until(() -> live(services).size() == 4);

            copyTables(services, "", "_backup");
            backupAt = System.currentTimeMillis();

            send(producer, services, "a", "{\"id\": \"a\", \"version\": 2, \"text\": \"a two\"}");
            send(producer, services, "b", null);
            send(producer, services, "d", "{\"id\": \"d\", \"version\": 1, \"text\": \"d one\"}");
            send(producer, services, "n", "{\"id\": \"n\", \"text\": \"n two\"}");
        }
        List<String> expected = List.of("a:a two", "c:c one", "d:d one", "n:n two");
        await("the changes stored").atMost(WAIT).until(() -> live(services).equals(expected));
        job.cancel();

        services.rollBackPreparedTransactions(); // none survive a restore; they would hold locks
        copyTables(services, "_backup", ""); // the DBA's restore
        assertThat(live(services)).containsExactly("a:a one", "b:b one", "c:c one", "n:n one");

        // the recipe: the consumer group back to the backup's time, the job without its state
        resetOffsets(services, backupAt);
        IT.start(services.config());

        await("every change since the backup stored again")
                .atMost(WAIT)
                .until(() -> live(services).equals(expected));
    }

    /** Each live document with its chunks' text. */
    private static List<String> live(TestServices services) throws Exception {
        return TestServices.rows(
                "SELECT d.doc_id || ':' || string_agg(c.content, ' ' ORDER BY c.chunk_no)"
                        + " FROM \""
                        + services.documentsTable
                        + "\" d JOIN \""
                        + services.chunksTable
                        + "\" c USING (tenant, doc_id) WHERE NOT d.deleted"
                        + " GROUP BY d.doc_id ORDER BY d.doc_id");
    }

    /** Both tables' rows from {@code <table><from>} into {@code <table><to>}. */
    private static void copyTables(TestServices services, String from, String to) throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            for (String table : List.of(services.chunksTable, services.documentsTable)) {
                if (to.isEmpty()) {
                    // a generated column (the text index's) is computed again, as pg_restore does
                    String columns =
                            TestServices.queryString(
                                    "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY"
                                            + " ordinal_position) FROM information_schema.columns"
                                            + " WHERE table_name = '"
                                            + table
                                            + "' AND is_generated = 'NEVER'");
                    st.execute("TRUNCATE \"" + table + "\"");
                    st.execute(
                            "INSERT INTO \""
                                    + table
                                    + "\" ("
                                    + columns
                                    + ") SELECT "
                                    + columns
                                    + " FROM \""
                                    + table
                                    + from
                                    + "\"");
                } else {
                    st.execute("CREATE TABLE \"" + table + to + "\" AS TABLE \"" + table + "\"");
                }
            }
        }
        if (to.isEmpty()) {
            return;
        }
        IT.onCleanup(
                () -> {
                    try (Connection c = TestServices.connect();
                            Statement st = c.createStatement()) {
                        st.execute(
                                "DROP TABLE IF EXISTS \""
                                        + services.chunksTable
                                        + to
                                        + "\", \""
                                        + services.documentsTable
                                        + to
                                        + "\"");
                    }
                });
    }

    /** What kafka-consumer-groups.sh --reset-offsets --to-datetime does. */
    private static void resetOffsets(TestServices services, long timestamp) throws Exception {
        try (Admin admin = TestServices.admin()) {
            TopicPartition partition = new TopicPartition(services.documentsTopic, 0);
            long offset =
                    admin.listOffsets(Map.of(partition, OffsetSpec.forTimestamp(timestamp)))
                            .partitionResult(partition)
                            .get()
                            .offset();
            admin.alterConsumerGroupOffsets(
                            "it-" + services.name, Map.of(partition, new OffsetAndMetadata(offset)))
                    .all()
                    .get();
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, TestServices services, String id, String value)
            throws Exception {
        TestServices.send(producer, services.documentsTopic, "default/" + id, value);
    }
}
