package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingOptionsTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void theInProcessModelRunsOneSingleThreadedBatchPerCoreByDefault() {
        EmbeddingOptions embedding = EmbeddingOptions.from(RagstreamConfig.of(Map.of()));
        assertThat(embedding.maxInFlight()).isEqualTo(CORES);
        assertThat(embedding.poolConcurrency()).isEqualTo(CORES);
        assertThat(embedding.inProcessModel().intraOpThreads()).isEqualTo(1);
    }

    @Test
    void batchesInFlightShareTheCoresWithoutAskingForMoreThreadsThanThereAre() {
        EmbeddingOptions one =
                EmbeddingOptions.from(RagstreamConfig.of(Map.of("embedding.max-in-flight", "1")));
        assertThat(one.inProcessModel().intraOpThreads()).isEqualTo(CORES);
        EmbeddingOptions many =
                EmbeddingOptions.from(
                        RagstreamConfig.of(
                                Map.of("embedding.max-in-flight", Integer.toString(4 * CORES))));
        assertThat(many.inProcessModel().intraOpThreads()).isEqualTo(1);
    }

    @Test
    void embeddingModelSelectsTheInProcessModel() {
        for (InProcessModel kind : InProcessModel.values()) {
            EmbeddingOptions embedding =
                    EmbeddingOptions.from(
                            RagstreamConfig.of(Map.of("embedding.model", kind.modelName())));
            assertThat(embedding.model()).isEqualTo(kind.modelName());
            assertThat(embedding.inProcessModel().model()).isEqualTo(kind);
            assertThat(embedding.inProcessModel().maxTokens()).isEqualTo(kind.maxTokens());
        }
        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        RagstreamConfig.of(
                                                Map.of("embedding.model", "bge-base-en-v1.5"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll(
                        "embedding.model", "bge-base-en-v1.5", "bge-small-en-v1.5-q");
        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        RagstreamConfig.of(
                                                Map.of(
                                                        "embedding.model",
                                                        "bge-small-en-v1.5",
                                                        "embedding.dimension",
                                                        "768"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll("embedding.dimension", "384", "768");
    }

    @Test
    void aServersModelIsMeasuredWithMiniLmsTokenizer() {
        EmbeddingOptions ollama =
                EmbeddingOptions.from(
                        RagstreamConfig.of(
                                Map.of(
                                        "embedding.backend",
                                        "ollama",
                                        "embedding.model",
                                        "nomic-embed-text",
                                        "embedding.dimension",
                                        "768",
                                        "embedding.endpoints",
                                        "[{url: 'http://127.0.0.1:11434'}]")));
        assertThat(ollama.inProcessModel().model()).isEqualTo(InProcessModel.ALL_MINILM_L6_V2);
    }

    @Test
    void aMaxInFlightBelowOneNamesTheKey() {
        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        RagstreamConfig.of(Map.of("embedding.max-in-flight", "0"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("embedding.max-in-flight")
                .hasMessageContaining("must be > 0");
    }

    @Test
    void theMisconfiguredTimeoutIsReadAndANonPositiveOneNamesTheKey() {
        EmbeddingOptions defaults = EmbeddingOptions.from(RagstreamConfig.of(Map.of()));
        assertThat(defaults.misconfiguredTimeout()).isEqualTo(Duration.ofMinutes(3));
        assertThat(defaults.misconfigured().probeEvery())
                .as("every 30 s")
                .isEqualTo(Duration.ofSeconds(30));

        EmbeddingOptions shortWait =
                EmbeddingOptions.from(
                        RagstreamConfig.of(Map.of("embedding.misconfigured-timeout", "20 s")));
        assertThat(shortWait.misconfigured().probeEvery())
                .as("a few probes within the wait")
                .isEqualTo(Duration.ofSeconds(5));

        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        RagstreamConfig.of(
                                                Map.of("embedding.misconfigured-timeout", "0 s"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("embedding.misconfigured-timeout")
                .hasMessageContaining("must be positive");
    }
}
