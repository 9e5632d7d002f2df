package io.ragstream.ingest;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.CapturedLogs;
import io.ragstream.testing.PrivateKafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job's output topics on a broker of the test's own that, like managed Kafka services, does not
 * create a topic at its first record: without them the job's first status record waited a minute
 * for the topic and failed the job, after every restart.
 */
class JobTopicsIT {
    private static final int DEFAULT_PARTITIONS = 3;

    private static PrivateKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka =
                PrivateKafka.start(
                        Map.of(
                                "auto.create.topics.enable",
                                "false",
                                "num.partitions",
                                Integer.toString(DEFAULT_PARTITIONS)));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theTopicsTheJobWritesAreMadeAtItsStartAndTheOnesItReadsAreAwaited() throws Exception {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "kafka.bootstrap-servers", kafka.bootstrapServers(),
                                "kafka.documents-topic", "acme.documents",
                                "kafka.dlq-topic", "acme.dlq",
                                "kafka.status-topic", "acme.status"));
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            // the premise: this broker keeps a record for a missing topic waiting, then fails it
            assertThatThrownBy(() -> send(producer, "acme.status"))
                    .hasMessageContaining("not present in metadata");

            List<LogEvent> warnings =
                    CapturedLogs.warnings(
                            JobTopics.class, () -> KafkaConnectionCheck.check(config));

            try (Admin admin = kafka.admin()) {
                Map<String, TopicDescription> made =
                        admin.describeTopics(List.of("acme.dlq", "acme.status"))
                                .allTopicNames()
                                .get(10, TimeUnit.SECONDS);
                assertThat(made.values())
                        .as("made with the broker's defaults")
                        .allSatisfy(
                                topic ->
                                        assertThat(topic.partitions()).hasSize(DEFAULT_PARTITIONS));
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                        .as("the documents topic is the producers' to make")
                        .doesNotContain("acme.documents");
            }
            assertThat(warnings)
                    .extracting(e -> e.getMessage().getFormattedMessage())
                    .containsExactly(
                            "kafka.documents-topic: topic 'acme.documents' does not exist (or this"
                                    + " client may not describe it); the job reads it once it does");
            send(producer, "acme.status");
            send(producer, "acme.dlq");

            // a start where they exist changes nothing
            KafkaConnectionCheck.check(config);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        3000),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, "x".getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }
}
