package io.ragstream.ingest;

import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source and the dead-letter producer carry the user's {@code kafka.properties.*} ({@code
 * produce}: CorpusPublisherTest).
 */
class KafkaClientWiringTest {

    private static final RagstreamConfig CONFIG =
            RagstreamConfig.load(
                    null,
                    List.of(
                            "kafka.bootstrap-servers=broker:9093",
                            "kafka.properties.security.protocol=SASL_SSL",
                            "kafka.properties.sasl.mechanism=SCRAM-SHA-512",
                            "kafka.properties.sasl.jaas.config=${KAFKA_JAAS}",
                            "kafka.properties.ssl.truststore.location=/etc/ca.p12",
                            "kafka.properties.linger.ms=5"),
                    Map.of("KAFKA_JAAS", "jaas-secret"));

    @Test
    void theSourceCarriesTheUserPropertiesAndItsOwn() {
        Properties props = DocumentSources.sourceProperties(CONFIG);

        assertThat(props)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", "jaas-secret")
                .containsEntry("ssl.truststore.location", "/etc/ca.p12")
                .containsEntry("commit.offsets.on.checkpoint", "true")
                .containsEntry("partition.discovery.interval.ms", "5000");
    }

    @Test
    void theSourceBuilds() {
        assertThat(DocumentSources.kafka(CONFIG)).isNotNull();
    }

    @Test
    void theDeadLetterProducerCarriesTheUserPropertiesAndItsOwn() {
        Properties props = DocumentSources.deadLetterProperties(CONFIG);

        assertThat(props)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "jaas-secret")
                .containsEntry(
                        "max.request.size",
                        Integer.toString(DeadLetterSerializer.MAX_REQUEST_BYTES));
        assertThat(DocumentSources.deadLetters(CONFIG)).isNotNull();
    }

    @Test
    void withoutUserPropertiesTheClientsAreAsBefore() {
        RagstreamConfig plain = RagstreamConfig.of(Map.of(), Map.of());

        assertThat(DocumentSources.deadLetterProperties(plain))
                .containsOnlyKeys("max.request.size");
        assertThat(DocumentSources.sourceProperties(plain))
                .containsOnlyKeys(
                        "commit.offsets.on.checkpoint",
                        "partition.discovery.interval.ms",
                        "isolation.level",
                        "allow.auto.create.topics")
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("allow.auto.create.topics", "false");
    }
}
