package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import org.apache.kafka.common.errors.IllegalSaslStateException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which setting a Kafka client's failure is blamed on; the real broker's refusals are in
 * SecuredServicesIT.
 */
class KafkaConnectionCheckTest {

    @Test
    void brokersThatAreNoHostPortListNameTheBrokersKey() {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of("kafka.bootstrap-servers", "127.0.0.1:9092;127.0.0.1:9093"),
                        Map.of());

        assertThatThrownBy(() -> KafkaConnectionCheck.check(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.bootstrap-servers'")
                .hasMessageContaining("Invalid url in bootstrap.servers");
    }

    @Test
    void aRefusedLoginNamesTheJaasConfigAndTheBrokers() {
        var failure =
                new ExecutionException(
                        new SaslAuthenticationException(
                                "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"));

        assertThat(KafkaConnectionCheck.refusal(failure, "broker:9094"))
                .get()
                .extracting(ConfigException::getMessage)
                .asString()
                .contains(
                        "'kafka.properties.sasl.jaas.config'",
                        "broker:9094",
                        "invalid credentials");
    }

    @Test
    void aFailedHandshakeNamesTheTruststore() {
        var failure =
                new SslAuthenticationException(
                        "SSL handshake failed",
                        new javax.net.ssl.SSLHandshakeException("PKIX path building failed"));

        assertThat(KafkaConnectionCheck.refusal(failure, "broker:9094"))
                .get()
                .extracting(ConfigException::getMessage)
                .asString()
                .contains(
                        "'kafka.properties.ssl.truststore.location'", "PKIX path building failed");
    }

    @Test
    void anotherAuthenticationFailureNamesTheMechanism() {
        assertThat(
                        KafkaConnectionCheck.refusal(
                                new IllegalSaslStateException("unexpected handshake"), "b:1"))
                .get()
                .extracting(ConfigException::getMessage)
                .asString()
                .contains("'kafka.properties.sasl.mechanism'");
    }

    @Test
    void whatARetryCanMendIsNoRefusal() {
        assertThat(KafkaConnectionCheck.refusal(new TimeoutException("no answer"), "b:1"))
                .isEmpty();
        assertThat(KafkaConnectionCheck.refusal(null, "b:1")).isEmpty();
    }
}
