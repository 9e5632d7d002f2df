package io.ragstream.embed.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link EmbeddingServerOptions}, their JSON ({@link OptionsJson}) and their enums. */
class EmbeddingServerOptionsTest {

    @Test
    void defaultsServeTheRealModelPlainly() {
        EmbeddingServerOptions o = EmbeddingServerOptions.defaults();
        assertThat(o.port()).isZero();
        assertThat(o.model()).isEqualTo(ModelKind.MINILM);
        assertThat(o.modelName()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(o.latency(100)).isEqualTo(Duration.ZERO);
        assertThat(o.maxConcurrency()).isZero();
        assertThat(o.apiKey()).isNull();
        assertThat(o.failMode()).isEqualTo(FailMode.NONE);
        assertThat(o.failEvery()).isEqualTo(1);
        assertThat(o.poisonMarker()).isNull();
        assertThat(o.hangFor()).isEqualTo(Duration.ofMinutes(5));
        assertThat(o.maxRequestBytes()).isEqualTo(16L * 1024 * 1024);
    }

    @Test
    void latencyIsFixedPlusPerItem() {
        EmbeddingServerOptions o =
                EmbeddingServerOptions.defaults()
                        .withLatency(Duration.ofMillis(20), Duration.ofMillis(5));
        assertThat(o.latency(0)).isEqualTo(Duration.ofMillis(20));
        assertThat(o.latency(10)).isEqualTo(Duration.ofMillis(70));
    }

    @Test
    void refusesImpossibleValues() {
        EmbeddingServerOptions o = EmbeddingServerOptions.defaults();
        assertThatThrownBy(() -> o.withPort(70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> o.withMaxConcurrency(-1)).hasMessageContaining("max-concurrency");
        assertThatThrownBy(() -> o.withFailEvery(0)).hasMessageContaining("fail-every");
        assertThatThrownBy(() -> o.withFixedLatency(Duration.ofMillis(-1)))
                .hasMessageContaining("fixed-latency");
        assertThatThrownBy(() -> o.withMaxRequestBytes(0))
                .hasMessageContaining("max-request-bytes");
        assertThat(o.withApiKey(" ").apiKey()).isNull();
        assertThat(o.withApiKey("s3cret").toString())
                .doesNotContain("s3cret")
                .contains("apiKey=***");
        assertThat(o.withServedModelName("").modelName()).isEqualTo("all-MiniLM-L6-v2");
    }

    @Test
    void parsesFailModesAndModels() {
        assertThat(FailMode.parse("none")).isEqualTo(FailMode.NONE);
        assertThat(FailMode.parse("500")).isEqualTo(FailMode.HTTP_500);
        assertThat(FailMode.parse(" 503 ")).isEqualTo(FailMode.HTTP_503);
        assertThat(FailMode.parse("429")).isEqualTo(FailMode.HTTP_429);
        assertThat(FailMode.parse("TIMEOUT")).isEqualTo(FailMode.TIMEOUT);
        assertThat(FailMode.parse("wrong-dimension")).isEqualTo(FailMode.WRONG_DIMENSION);
        assertThat(FailMode.parse("down")).isEqualTo(FailMode.DOWN);
        assertThatThrownBy(() -> FailMode.parse("404")).hasMessageContaining("timeout");

        assertThat(ModelKind.parse("all-minilm-l6-v2")).isEqualTo(ModelKind.MINILM);
        assertThat(ModelKind.parse("synthetic")).isEqualTo(ModelKind.SYNTHETIC);
        assertThatThrownBy(() -> ModelKind.parse("bge-m3")).hasMessageContaining("synthetic");
    }

    @Test
    void appliesAJsonPatchInAnyKeyStyle() throws Exception {
        JsonNode patch =
                TestHttp.JSON.readTree(
                        """
                {"model": "synthetic", "servedModelName": "nomic-embed-text",
                 "fixed_latency": "20ms", "per-item-latency": 0.5, "MAX_CONCURRENCY": "8",
                 "api-key": "k", "fail-mode": "timeout", "fail-every": 10,
                 "poison-marker": "XX", "hang-for": "PT30S"}""");

        EmbeddingServerOptions o = OptionsJson.apply(EmbeddingServerOptions.defaults(), patch);

        assertThat(o)
                .isEqualTo(
                        new EmbeddingServerOptions(
                                0,
                                ModelKind.SYNTHETIC,
                                "nomic-embed-text",
                                Duration.ofMillis(20),
                                Duration.ofNanos(500_000),
                                8,
                                "k",
                                FailMode.TIMEOUT,
                                10,
                                "XX",
                                Duration.ofSeconds(30),
                                EmbeddingServerOptions.DEFAULT_MAX_REQUEST_BYTES));
    }

    @Test
    void rendersWhatItReadsBack() {
        EmbeddingServerOptions o =
                EmbeddingServerOptions.defaults()
                        .withPort(1234)
                        .withModel(ModelKind.SYNTHETIC)
                        .withLatency(Duration.ofMillis(20), Duration.ofNanos(1_500_000))
                        .withFailures(FailMode.HTTP_429, 3)
                        .withPoisonMarker("XX");

        JsonNode json = OptionsJson.render(o);

        assertThat(json.get("per-item-latency").asText())
                .isEqualTo("1500 µs"); // Flink's TimeUtils format
        assertThat(OptionsJson.apply(EmbeddingServerOptions.defaults().withPort(1234), json))
                .isEqualTo(o);
        assertThat(OptionsJson.render(o.withApiKey("secret")).get("api-key").asText())
                .isEqualTo("***");
    }

    @Test
    void refusesUnknownKeysAndBadValuesNamingTheKey() throws Exception {
        EmbeddingServerOptions o = EmbeddingServerOptions.defaults();
        assertThatThrownBy(() -> OptionsJson.apply(o, TestHttp.JSON.readTree("{\"colour\": 1}")))
                .hasMessageContaining("colour")
                .hasMessageContaining("fail-mode");
        assertThatThrownBy(
                        () ->
                                OptionsJson.apply(
                                        o, TestHttp.JSON.readTree("{\"fail-every\": \"often\"}")))
                .hasMessageContaining("fail-every");
        assertThatThrownBy(
                        () ->
                                OptionsJson.apply(
                                        o, TestHttp.JSON.readTree("{\"fixed-latency\": \"soon\"}")))
                .hasMessageContaining("fixed-latency");
        assertThatThrownBy(() -> OptionsJson.apply(o, TestHttp.JSON.readTree("{\"port\": 80}")))
                .hasMessageContaining("port");
    }
}
