package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.PrivateKafka;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kafka broker restarted under the running job, as a rolling upgrade does, and then killed and
 * started again, as a crash does; each time with documents and a bad record published around it (a
 * producer waits for the broker to be back). Afterwards the tables equal the model of every
 * document's last version, each bad record has its dead letter, and no task was restarted: the
 * source, the dead-letter and status producers and the offset commits wait for the broker.
 */
class KafkaBrokerRestartIT {
    private static final int DOCUMENTS = 30;

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private static PrivateKafka broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = PrivateKafka.start(Map.of());
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void theJobRidesOutARestartAndACrashOfItsBroker() throws Exception {
        TestServices services = IT.services("brokerrestart");
        try (Admin admin = broker.admin()) {
            services.createJobTopics(admin, 2);
        }
        RunningJob job =
                IT.start(
                        services.config(
                                "kafka.bootstrap-servers=" + broker.bootstrapServers(),
                                "sink.mode=exactly-once"));
        Map<String, Long> model = new TreeMap<>();
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                broker.bootstrapServers(),
                                ProducerConfig.ACKS_CONFIG,
                                "all",
                                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                                120_000),
                        new StringSerializer(),
                        new StringSerializer())) {
            publish(producer, services, 1, model);
            producer.flush();
            awaitModel(services, model);

            broker.stop(false); // as a rolling restart does
            // a producer asks the stopped broker for metadata and waits until it is back
            CompletableFuture<Void> publishing =
                    CompletableFuture.runAsync(() -> publish(producer, services, 2, model));
            Thread.sleep(2000);
            broker.startAgain();
            publishing.get(120, TimeUnit.SECONDS);
            producer.flush();
            awaitModel(services, model);

            publish(producer, services, 3, model);
            broker.stop(true); // as a crash does: kill -9, and the broker recovers its logs
            broker.startAgain();
            producer.flush();
            awaitModel(services, model);
        }
        assertThat(deadLetterKeys(services))
                .as("one letter for each bad record (a repeat is allowed: at least once)")
                .containsExactly("acme/bad-1", "acme/bad-2", "acme/bad-3");
        job.assertNoTaskRestarted();
    }

    /** Every document's version {@code version}, and one record that is not JSON. */
    private static void publish(
            KafkaProducer<String, String> producer,
            TestServices services,
            long version,
            Map<String, Long> model) {
        for (int i = 0; i < DOCUMENTS; i++) {
            String id = "d" + i;
            producer.send(
                    new ProducerRecord<>(
                            services.documentsTopic,
                            "acme/" + id,
                            TestServices.document(
                                    "acme",
                                    id,
                                    version,
                                    "Version " + version + " of document " + id + ".")));
            model.put(id, version);
        }
        producer.send(
                new ProducerRecord<>(services.documentsTopic, "acme/bad-" + version, "{not json"));
    }

    private static void awaitModel(TestServices services, Map<String, Long> model) {
        Set<String> expected = new TreeSet<>();
        model.forEach((id, version) -> expected.add(id + ":" + version));
        await("the documents' last versions")
                .atMost(Duration.ofSeconds(120))
                .until(
                        () -> new TreeSet<>(services.liveDocuments("doc_id || ':' || version")),
                        expected::equals);
    }

    private static Set<String> deadLetterKeys(TestServices services) {
        Set<String> keys = new TreeSet<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                broker.bootstrapServers(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest"),
                        new StringDeserializer(),
                        new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(services.dlqTopic, 0)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (keys.size() < 3 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> keys.add(r.key()));
            }
        }
        return keys;
    }
}
