package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator changes a topic the job reads. Partitions added are read. A topic deleted, to be made
 * again with other settings, must not be made first by the job with the brokers' defaults (as a
 * consumer does where the brokers create topics on demand, Kafka's default), and the new topic must
 * be read from its first record.
 */
class TopicsChangedIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1).withMetrics();

    @TempDir Path savepoints;

    @Test
    void partitionsAddedUnderTheJobAreRead() throws Exception {
        TestServices services = IT.services("addedpartitions");
        services.createTopics(1, services.documentsTopic);
        IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, List.of("a"));
            await("stored").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 1);

            try (Admin admin = TestServices.admin()) {
                admin.createPartitions(Map.of(services.documentsTopic, NewPartitions.increaseTo(3)))
                        .all()
                        .get();
            }
            for (int partition : List.of(1, 2)) {
                producer.send(
                                new ProducerRecord<>(
                                        services.documentsTopic,
                                        partition,
                                        ("default/p" + partition).getBytes(StandardCharsets.UTF_8),
                                        document("p" + partition).getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }
        await("the new partitions read")
                .atMost(WAIT)
                .until(() -> services.liveDocuments("doc_id").equals(List.of("a", "p1", "p2")));
    }

    @Test
    void aTopicDeletedUnderTheJobIsLeftForTheOperatorToMakeAgain() throws Exception {
        TestServices services = IT.services("deletedtopic");
        services.createTopics(1, services.documentsTopic);
        var job = IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, List.of("a0", "a1", "a2", "a3", "a4"));
        }
        await("stored").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 5);

        services.deleteTopics(services.documentsTopic);
        await("the deleted topic stays deleted")
                .during(Duration.ofSeconds(5))
                .atMost(WAIT)
                .until(() -> !TestServices.topicExists(services.documentsTopic));
        services.createTopics(3, services.documentsTopic);

        // a new producer: the old one would still send to the old topic's partitions
        List<String> again = IntStream.range(0, 12).mapToObj(i -> "b" + i).toList();
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, again);
        }
        await("the new topic's records stored, from all its partitions")
                .atMost(WAIT)
                .until(() -> services.liveDocuments("doc_id").size() == 5 + again.size());
        assertThat(services.liveDocuments("doc_id")).as("the old rows stay").contains("a0", "a4");
        assertThat(job.restJson("/exceptions").at("/exceptionHistory/entries")).isEmpty();
    }

    /**
     * Deleted and made again while the job was stopped, with a savepoint at offset 5: in the new
     * topic that offset would skip its first 5 records, silently.
     */
    @Test
    void aTopicMadeAgainWhileTheJobWasStoppedIsReadFromItsStart() throws Exception {
        TestServices services = IT.services("remadetopic");
        services.createTopics(1, services.documentsTopic);
        var before = IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, List.of("a0", "a1", "a2", "a3", "a4"));
        }
        await("stored").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 5);
        String savepoint = before.stopWithSavepoint(savepoints);

        services.deleteTopics(services.documentsTopic);
        await("deleted")
                .atMost(WAIT)
                .until(() -> !TestServices.topicExists(services.documentsTopic));
        services.createTopics(1, services.documentsTopic);
        List<String> again = IntStream.range(0, 8).mapToObj(i -> "b" + i).toList();
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, again);
        }
        var after = IT.resume(services.config(), savepoint);

        await("every record of the new topic stored")
                .atMost(WAIT)
                .until(() -> services.liveDocuments("doc_id").size() == 5 + again.size());
        assertThat(after.restJson("/exceptions").at("/exceptionHistory/entries")).isEmpty();
    }

    /**
     * The job stopped for longer than the topic's retention: the records deleted before it read
     * them cannot be indexed, but must not go unnoticed, as they do in Kafka's consumer.
     */
    @Test
    void recordsTheRetentionDeletedWhileTheJobWasStoppedAreCounted() throws Exception {
        TestServices services = IT.services("expired");
        services.createTopics(1, services.documentsTopic);
        var before = IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            sendAll(producer, services, List.of("a0", "a1"));
            await("stored").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 2);
            String savepoint = before.stopWithSavepoint(savepoints);

            sendAll(producer, services, List.of("b0", "b1", "b2", "b3", "b4"));
            try (Admin admin = TestServices.admin()) {
                // what retention does to the oldest segment: b0, b1 and b2 go
                admin.deleteRecords(
                                Map.of(
                                        new TopicPartition(services.documentsTopic, 0),
                                        RecordsToDelete.beforeOffset(5)))
                        .all()
                        .get();
            }
            IT.resume(services.config(), savepoint);
        }

        await("the records still there stored, the deleted ones counted")
                .atMost(WAIT)
                .until(
                        () ->
                                services.liveDocuments("doc_id")
                                                .equals(List.of("a0", "a1", "b3", "b4"))
                                        && IT.counter("recordsExpiredUnread") == 3);
    }

    private static void sendAll(
            KafkaProducer<byte[], byte[]> producer, TestServices services, List<String> ids)
            throws Exception {
        for (String id : ids) {
            TestServices.send(producer, services.documentsTopic, "default/" + id, document(id));
        }
    }

    private static String document(String id) {
        return "{\"id\": \"" + id + "\", \"version\": 1, \"text\": \"document " + id + "\"}";
    }
}
