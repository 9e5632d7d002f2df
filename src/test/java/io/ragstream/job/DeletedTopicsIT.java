package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator deletes a topic the running job reads, to make it again with other settings (more
 * partitions, compaction): the job must not make it first with the brokers' defaults, as a consumer
 * does where the brokers create topics on demand (Kafka's default), and must read the new topic.
 */
class DeletedTopicsIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    @Test
    void aTopicDeletedUnderTheJobIsLeftForTheOperatorToMakeAgain() throws Exception {
        TestServices services = IT.services("deletedtopic");
        services.createTopics(1, services.documentsTopic);
        var job = IT.start(services.config());
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = 0; i < 5; i++) {
                TestServices.send(
                        producer, services.documentsTopic, "default/a" + i, document("a" + i));
            }
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
            for (String id : again) {
                TestServices.send(producer, services.documentsTopic, "default/" + id, document(id));
            }
        }
        await("the new topic's records stored, from all its partitions")
                .atMost(WAIT)
                .until(() -> services.liveDocuments("doc_id").size() == 5 + again.size());
        assertThat(services.liveDocuments("doc_id")).as("the old rows stay").contains("a0", "a4");
        assertThat(job.restJson("/exceptions").at("/exceptionHistory/entries")).isEmpty();
    }

    private static String document(String id) {
        return "{\"id\": \"" + id + "\", \"version\": 1, \"text\": \"document " + id + "\"}";
    }
}
