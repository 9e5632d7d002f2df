package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.PrivateKafka;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.common.JobStatus;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator changes the settings and resumes from a savepoint, as a Kubernetes upgrade does.
 * Flink restores the Kafka source's partitions and offsets and the chunker's state whatever the new
 * settings say: the job must read only the topics it now names, and must not resume into tables its
 * state does not describe or from offsets in another Kafka cluster.
 */
class SettingsChangedAtRestoreIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1).withMetrics();

    @TempDir Path savepoints;

    @Test
    void aTopicDroppedFromTheSettingsIsNoLongerReadAfterARestore() throws Exception {
        TestServices services = IT.services("droppedtopic");
        String cdcTopic = "it." + services.name + ".cdc";
        String renamedTopic = "it." + services.name + ".documents2";
        services.createTopics(1, services.documentsTopic, cdcTopic, renamedTopic);

        var before = IT.start(services.config("kafka.cdc-topics=" + cdcTopic));
        RunningJob after;
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, services.documentsTopic, "default/a", document("a"));
            TestServices.send(producer, cdcTopic, "{\"id\": \"c1\"}", change("c1", 100));
            await("both topics read")
                    .atMost(WAIT)
                    .until(() -> services.liveDocuments("doc_id").size() == 2);
            String savepoint = before.stopWithSavepoint(savepoints);

            // the documents topic renamed, the CDC topic dropped; the tables stay
            after = IT.resume(services.config("kafka.documents-topic=" + renamedTopic), savepoint);
            TestServices.send(producer, services.documentsTopic, "default/old", document("old"));
            TestServices.send(producer, cdcTopic, "{\"id\": \"c2\"}", change("c2", 200));
            TestServices.send(producer, renamedTopic, "default/new", document("new"));
        }

        await("the renamed topic read, the dropped ones skipped")
                .atMost(WAIT)
                .until(
                        () ->
                                IT.counter("recordsOfRemovedTopics") == 2
                                        && services.liveDocuments("doc_id").contains("new"));
        assertThat(services.liveDocuments("doc_id")).containsExactly("a", "c1", "new");
        assertThat(TestServices.readTopic(services.dlqTopic, 1, Duration.ofSeconds(3))).isEmpty();

        // the operator then deletes the topics no longer read: Flink's reader still holds their
        // partitions, and must neither make them again nor stop
        services.deleteTopics(services.documentsTopic, cdcTopic);
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, renamedTopic, "default/later", document("later"));
        }
        await("read on").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 4);
        await("the deleted topics stay deleted")
                .during(Duration.ofSeconds(5))
                .atMost(WAIT)
                .until(
                        () ->
                                !TestServices.topicExists(services.documentsTopic)
                                        && !TestServices.topicExists(cdcTopic));
        assertThat(after.restJson("/exceptions").at("/exceptionHistory/entries")).isEmpty();
        assertThat(after.stopWithSavepoint(savepoints)).as("a savepoint still").isNotEmpty();
    }

    @Test
    void aSavepointOfOtherTablesFailsTheJobAtOnceNamingTheSetting() throws Exception {
        TestServices services = IT.services("othertables");
        String savepoint = savepointWithOneDocument(services);

        // README "Re-indexing": the same documents into new tables, resumed from the old state
        TestServices moved = IT.services("othertablesmoved");
        var after =
                IT.resume(
                        services.config(
                                "postgres.documents-table=" + moved.documentsTable,
                                "postgres.chunks-table=" + moved.chunksTable),
                        savepoint);

        assertThat(failureWithoutRestarts(after))
                .contains("config key 'postgres.documents-table'")
                .contains("'" + services.chunksTable + "' -> '" + moved.chunksTable + "'");
    }

    @Test
    void aSavepointOfAnotherKafkaClusterFailsTheJobAtOnceNamingTheBrokers() throws Exception {
        TestServices services = IT.services("othercluster");
        String savepoint = savepointWithOneDocument(services);

        // the same topic names on new brokers, where the restored offsets mean other records
        try (PrivateKafka newCluster = PrivateKafka.start(Map.of())) {
            var after =
                    IT.resume(
                            services.config(
                                    "kafka.bootstrap-servers=" + newCluster.bootstrapServers()),
                            savepoint);

            assertThat(failureWithoutRestarts(after))
                    .contains("config key 'kafka.bootstrap-servers'")
                    .contains("the brokers at " + newCluster.bootstrapServers() + " are cluster");
        }
    }

    /** A job that stored one document, stopped with a savepoint: where it is. */
    private String savepointWithOneDocument(TestServices services) throws Exception {
        services.createTopics(1, services.documentsTopic);
        var before = IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            TestServices.send(producer, services.documentsTopic, "default/a", document("a"));
        }
        await("stored").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 1);
        return before.stopWithSavepoint(savepoints);
    }

    /** The job's failure, once it failed with no restart (a restart restores the same state). */
    private static String failureWithoutRestarts(RunningJob job) throws Exception {
        await("the job failed").atMost(WAIT).until(() -> job.status() == JobStatus.FAILED);
        JsonNode exceptions = job.restJson("/exceptions");
        assertThat(exceptions.at("/exceptionHistory/entries")).as("restarts").hasSize(1);
        return exceptions.at("/exceptionHistory/entries/0/stacktrace").asText();
    }

    private static String document(String id) {
        return "{\"id\": \"" + id + "\", \"version\": 1, \"text\": \"document " + id + "\"}";
    }

    private static String change(String id, long lsn) {
        return "{\"op\": \"c\", \"before\": null, \"after\": {\"id\": \""
                + id
                + "\", \"text\": \"row "
                + id
                + "\"}, \"source\": {\"connector\": \"postgresql\", \"lsn\": "
                + lsn
                + "}}";
    }
}
