package io.ragstream.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secrets out of what is printed: URLs redacted, secret settings kept out of program arguments. */
class SecretsTest {

    @Test
    void aUrlLosesItsUserInfoAndSecretParametersAndKeepsTheRest() {
        assertThat(
                        Secrets.redactUrl(
                                "jdbc:postgresql://alice:s3cret@db.example.com:5432/rag?sslmode=verify-full&password=hunter2"))
                .isEqualTo(
                        "jdbc:postgresql://***@db.example.com:5432/rag?sslmode=verify-full&password=***");
        assertThat(
                        Secrets.redactUrl(
                                "https://embed.example.com/v1?api_key=abc&model=x&token=t&X-Amz-Signature=z"))
                .isEqualTo(
                        "https://embed.example.com/v1?api_key=***&model=x&token=***&X-Amz-Signature=***");
        assertThat(Secrets.redactUrl("jdbc:postgresql://127.0.0.1:5432/ragstream"))
                .isEqualTo("jdbc:postgresql://127.0.0.1:5432/ragstream");
        assertThat(Secrets.redactUrl("jdbc:postgresql://h/db?sslpassword=p&user=bob"))
                .isEqualTo("jdbc:postgresql://h/db?sslpassword=***&user=bob");
        assertThat(Secrets.redactUrl(null)).isNull();
        assertThat(
                        Secrets.withoutParameters(
                                "jdbc:postgresql://alice:pw@db:5432/rag?sslmode=require"))
                .isEqualTo("jdbc:postgresql://***@db:5432/rag");
    }

    @Test
    void secretSettingsAreTheirKeysNotTheVariablesNamingThem() {
        assertThat(Secrets.isSecretKey("postgres.password")).isTrue();
        assertThat(Secrets.isSecretKey("kafka.properties.sasl.jaas.config")).isTrue();
        assertThat(Secrets.isSecretKey("kafka.properties.ssl.truststore.password")).isTrue();
        assertThat(Secrets.isSecretKey("embedding.api-key-env")).as("names a variable").isFalse();
        assertThat(Secrets.isSecretKey("postgres.url")).isFalse();
        assertThat(Secrets.isSecretKey("kafka.bootstrap-servers")).isFalse();
    }

    @Test
    void aClusterJobTakesNoSecretAsAProgramArgument() {
        assertThatThrownBy(
                        () ->
                                Secrets.refuseInProgramArguments(
                                        List.of("job.parallelism=2", "postgres.password=hunter2")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.password'")
                .hasMessageContaining("${")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(
                        () ->
                                Secrets.refuseInProgramArguments(
                                        List.of(
                                                "postgres.url=jdbc:postgresql://h/db?password=hunter2")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.url'")
                .hasMessageNotContaining("hunter2");
        assertThatNoException()
                .isThrownBy(
                        () ->
                                Secrets.refuseInProgramArguments(
                                        List.of(
                                                "postgres.password=${RAGSTREAM_PG_PASSWORD}",
                                                "postgres.url=jdbc:postgresql://h/db?sslmode=require")));
    }
}
