package io.ragstream.corpus;

import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code produce} carries the user's {@code kafka.properties.*} over its own defaults. */
class CorpusPublisherTest {

    @Test
    void theProduceCommandCarriesTheUserPropertiesOverItsDefaults() {
        RagstreamConfig config =
                RagstreamConfig.load(
                        null,
                        List.of(
                                "kafka.bootstrap-servers=broker:9093",
                                "kafka.properties.security.protocol=SASL_SSL",
                                "kafka.properties.sasl.jaas.config=${KAFKA_JAAS}",
                                "kafka.properties.linger.ms=5"),
                        Map.of("KAFKA_JAAS", "jaas-secret"));

        Properties props = CorpusPublisher.producerProperties(config);

        assertThat(props)
                .containsEntry("bootstrap.servers", "broker:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "jaas-secret")
                .containsEntry("linger.ms", "5") // the user's, over the default 20
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", "true");
    }

    @Test
    void withoutUserPropertiesTheProducerIsAsBefore() {
        RagstreamConfig plain = RagstreamConfig.of(Map.of(), Map.of());

        assertThat(CorpusPublisher.producerProperties(plain))
                .doesNotContainKey("security.protocol");
    }
}
