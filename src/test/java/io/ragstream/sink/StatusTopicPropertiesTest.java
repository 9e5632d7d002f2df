package io.ragstream.sink;

import io.ragstream.config.RagstreamConfig;

import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status producer carries the user's {@code kafka.properties.*} into the job graph, secrets
 * hidden in its text.
 */
class StatusTopicPropertiesTest {

    private static final RagstreamConfig CONFIG =
            RagstreamConfig.of(
                    Map.of(
                            "kafka.properties.security.protocol", "SASL_SSL",
                            "kafka.properties.sasl.jaas.config", "${KAFKA_JAAS}"),
                    Map.of("KAFKA_JAAS", "jaas-secret"));

    @Test
    void theStatusProducerCarriesTheUserPropertiesAndItsOwn() {
        assertThat(StatusTopic.from(CONFIG).producerProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "jaas-secret")
                .containsEntry("max.request.size", Integer.toString(StatusTopic.MAX_REQUEST_BYTES));
    }

    @Test
    void survivesSerializationAndHidesTheSecretInItsText() throws Exception {
        StatusTopic status = StatusTopic.from(CONFIG);

        StatusTopic copy = InstantiationUtil.clone(status);

        assertThat(copy).isEqualTo(status);
        assertThat(copy.producerProperties()).containsEntry("sasl.jaas.config", "jaas-secret");
        assertThat(status.toString())
                .contains("security.protocol=SASL_SSL")
                .doesNotContain("jaas-secret");
    }
}
