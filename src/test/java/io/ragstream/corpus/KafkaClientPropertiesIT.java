package io.ragstream.corpus;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code produce} against the local broker: the user's client properties reach the real producer.
 */
class KafkaClientPropertiesIT {

    @Test
    void publishesWithTheUserPropertiesPassedThrough() throws Exception {
        String topic = "it.kafka-properties." + UUID.randomUUID();
        RagstreamConfig config =
                RagstreamConfig.load(
                        null,
                        List.of(
                                "kafka.bootstrap-servers=" + TestServices.KAFKA,
                                "kafka.properties.security.protocol=${PROTOCOL}",
                                "kafka.properties.client.id=ragstream-it-props"),
                        Map.of("PROTOCOL", "PLAINTEXT"));

        CorpusPublisher.publish(
                config, topic, List.of(new CorpusDocument("t", "d1", "title", "text", null)));

        var records = TestServices.readTopic(topic, 1, Duration.ofSeconds(30));
        assertThat(records).hasSize(1);
        assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("t/d1");
    }

    @Test
    void aPropertyTheClientRefusesFailsThePublish() {
        RagstreamConfig config =
                RagstreamConfig.load(
                        null,
                        List.of(
                                "kafka.bootstrap-servers=" + TestServices.KAFKA,
                                "kafka.properties.security.protocol=NOT_A_PROTOCOL"),
                        Map.of());

        // proves the property reaches the client: a made-up protocol is rejected when it is built
        assertThatThrownBy(
                        () ->
                                CorpusPublisher.publish(
                                        config,
                                        "it.unused",
                                        List.of(
                                                new CorpusDocument(
                                                        "t", "d1", "title", "text", null))))
                .hasStackTraceContaining("NOT_A_PROTOCOL");
    }
}
