package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upstreams that publish in Kafka transactions (an exactly-once Flink or Kafka Streams job,
 * Debezium under Connect's exactly-once support) abort some: what an aborted transaction wrote is
 * in the log, and Kafka's default consumer reads it. The job must store only what was committed.
 */
class TransactionalProducersIT {

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    @Test
    void anAbortedTransactionsDocumentsNeverReachTheTables() throws Exception {
        TestServices services = IT.services("transactions");
        services.createTopics(1, services.documentsTopic);
        IT.start(services.config());

        try (KafkaProducer<byte[], byte[]> upstream =
                TestServices.producer(
                        Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-" + services.name))) {
            upstream.initTransactions();
            upstream.beginTransaction();
            send(upstream, services.documentsTopic, "aborted", 1);
            send(upstream, services.documentsTopic, "committed", 1);
            upstream.abortTransaction();

            upstream.beginTransaction();
            send(upstream, services.documentsTopic, "committed", 2);
            upstream.commitTransaction();
        }
        try (KafkaProducer<byte[], byte[]> plain = TestServices.producer()) {
            send(plain, services.documentsTopic, "after", 1); // read once all before it is
        }

        await("the committed documents")
                .atMost(Duration.ofSeconds(120))
                .until(
                        () ->
                                services.liveDocuments("doc_id || ':' || version")
                                        .contains("after:1"));
        assertThat(services.liveDocuments("doc_id || ':' || version"))
                .containsExactly("after:1", "committed:2");
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, String id, long version)
            throws Exception {
        TestServices.send(
                producer,
                topic,
                "acme/" + id,
                "{\"tenant\": \"acme\", \"id\": \""
                        + id
                        + "\", \"version\": "
                        + version
                        + ", \"text\": \""
                        + id
                        + " in version "
                        + version
                        + "\"}");
    }
}
