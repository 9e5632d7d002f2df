package io.ragstream.config;

import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code kafka.properties.*}: read from YAML and {@code --set}, resolved, checked and kept out of
 * sight.
 */
class KafkaClientPropertiesTest {

    private static final String JAAS =
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
                    + "username=\"rag\" password=\"s3cr3t-pw\";";

    @TempDir Path dir;

    @Test
    void readsNestedYamlWithEnvironmentValues() throws IOException {
        Path yaml = dir.resolve("ragstream.yaml");
        Files.writeString(
                yaml,
                """
                kafka:
                  bootstrap-servers: broker:9093
                  properties:
                    security.protocol: SASL_SSL
                    sasl.mechanism: SCRAM-SHA-512
                    sasl.jaas.config: ${KAFKA_JAAS}
                    ssl.truststore.location: /etc/ragstream/ca.p12
                    ssl.truststore.password: ${TRUST_PW}
                """);
        RagstreamConfig config =
                RagstreamConfig.load(yaml, List.of(), Map.of("KAFKA_JAAS", JAAS, "TRUST_PW", "tp"));

        assertThat(KafkaClientProperties.from(config).asMap())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "security.protocol", "SASL_SSL",
                                "sasl.mechanism", "SCRAM-SHA-512",
                                "sasl.jaas.config", JAAS,
                                "ssl.truststore.location", "/etc/ragstream/ca.p12",
                                "ssl.truststore.password", "tp"));
    }

    @Test
    void readsOverridesOnTopOfYaml() throws IOException {
        Path yaml = dir.resolve("ragstream.yaml");
        Files.writeString(
                yaml,
                """
                kafka:
                  properties:
                    security.protocol: SASL_SSL
                """);
        RagstreamConfig config =
                RagstreamConfig.load(
                        yaml,
                        List.of(
                                "kafka.properties.security.protocol=PLAINTEXT",
                                "kafka.properties.client.dns.lookup=use_all_dns_ips"),
                        Map.of());

        assertThat(KafkaClientProperties.from(config).asMap())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(
                                "security.protocol",
                                "PLAINTEXT",
                                "client.dns.lookup",
                                "use_all_dns_ips"));
    }

    @Test
    void noPropertiesByDefault() {
        assertThat(KafkaClientProperties.from(RagstreamConfig.of(Map.of(), Map.of())).asMap())
                .isEmpty();
    }

    @Test
    void aMissingEnvironmentVariableNamesTheKeyAndTheVariable() {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of("kafka.properties.sasl.jaas.config", "${KAFKA_JAAS}"), Map.of());

        assertThatThrownBy(() -> KafkaClientProperties.from(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.properties.sasl.jaas.config")
                .hasMessageContaining("KAFKA_JAAS is not set");
    }

    @Test
    void refusesKeysTheJobOwnsNamingThemAndWhatToUse() {
        for (String key :
                List.of(
                        "bootstrap.servers",
                        "group.id",
                        "key.serializer",
                        "value.deserializer",
                        "transactional.id",
                        "enable.auto.commit",
                        "isolation.level",
                        "max.request.size")) {
            assertThatThrownBy(
                            () ->
                                    RagstreamConfig.load(
                                            null,
                                            List.of("kafka.properties." + key + "=x"),
                                            Map.of()))
                    .as(key)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'kafka.properties." + key + "'")
                    .hasMessageContaining("set by ragstream itself");
        }
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.of(
                                        Map.of("kafka.properties.bootstrap.servers", "b:9092"),
                                        Map.of()))
                .hasMessageContaining("use kafka.bootstrap-servers");
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.of(
                                        Map.of("kafka.properties.group.id", "g"), Map.of()))
                .hasMessageContaining("use kafka.group-id");
    }

    @Test
    void refusesThePrefixAlone() {
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("kafka.properties.", "x"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("name a Kafka client setting");
    }

    @Test
    void otherUnknownKeysAreStillRefused() {
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.of(
                                        Map.of("kafka.property.security.protocol", "SSL"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key");
    }

    @Test
    void toStringHidesSecretValues() {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "kafka.properties.security.protocol", "SASL_SSL",
                                "kafka.properties.sasl.jaas.config", "${KAFKA_JAAS}",
                                "kafka.properties.ssl.truststore.password", "trust-pw",
                                "kafka.properties.ssl.key.password", "key-pw",
                                "kafka.properties.sasl.oauthbearer.token.endpoint.url",
                                        "https://idp/token",
                                "kafka.properties.basic.auth.user.info", "u:p",
                                "kafka.properties.client.secret", "cs"),
                        Map.of("KAFKA_JAAS", JAAS));
        KafkaClientProperties properties = KafkaClientProperties.from(config);

        assertThat(properties.toString())
                .contains(
                        "security.protocol=SASL_SSL",
                        "sasl.jaas.config=******",
                        "ssl.truststore.password=******")
                .doesNotContain("s3cr3t-pw", "trust-pw", "key-pw", "cs,", "cs}");
        assertThat(Secrets.isSecretKey("sasl.jaas.config")).isTrue();
        assertThat(Secrets.isSecretKey("ssl.keystore.key")).isTrue();
        assertThat(Secrets.isSecretKey("sasl.client.callback.handler.class")).isFalse();
        assertThat(Secrets.isSecretKey("security.protocol")).isFalse();
    }

    @Test
    void redactsEverySecretValueFromAMessage() {
        KafkaClientProperties properties =
                new KafkaClientProperties(
                        Map.of(
                                "sasl.jaas.config",
                                JAAS,
                                "ssl.truststore.password",
                                "trust-pw",
                                "security.protocol",
                                "SASL_SSL"));

        assertThat(properties.redact("login " + JAAS + " failed; store trust-pw over SASL_SSL"))
                .isEqualTo("login ****** failed; store ****** over SASL_SSL");
        assertThat(properties.redact(null)).isEmpty();
    }

    @Test
    void appliesOnTopOfExistingProperties() {
        Properties props = new Properties();
        props.setProperty("security.protocol", "PLAINTEXT");
        props.setProperty("acks", "all");
        new KafkaClientProperties(Map.of("security.protocol", "SSL")).applyTo(props);

        assertThat(props).containsEntry("security.protocol", "SSL").containsEntry("acks", "all");
    }

    @Test
    void survivesJavaSerializationIntoTheJobGraph() throws Exception {
        KafkaClientProperties properties =
                new KafkaClientProperties(Map.of("security.protocol", "SASL_SSL"));

        KafkaClientProperties copy = InstantiationUtil.clone(properties);

        assertThat(copy).isEqualTo(properties);
    }
}
