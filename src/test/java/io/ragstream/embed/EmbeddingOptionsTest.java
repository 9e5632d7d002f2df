package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.PoolConfig;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
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
                .hasMessageContaining("must be at least 1 ms");
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedding.request-timeout", "embedding.timeout"})
    void aTimeoutOfZeroIsRefusedNamingItsKey(String key) {
        // the HTTP client refuses a zero timeout at the first request, in every restart
        assertThatThrownBy(() -> EmbeddingOptions.from(RagstreamConfig.of(Map.of(key, "0 s"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'" + key + "'")
                .hasMessageContaining("must be at least 1 ms, was 0 ms");
    }

    /**
     * However the pool's slots are split between endpoints, each endpoint's shares add up to its
     * max-concurrency (it is never sent more), and the subtasks' totals differ by at most one, so
     * every subtask has a slot while there are no more subtasks than slots.
     */
    @Property(tries = 500)
    void theSlotsOfEveryEndpointAreDealtToTheSubtasksInTurn(
            @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 1, max = 9) Integer> endpoints,
            @ForAll @IntRange(min = 1, max = 40) int parallelism) {
        int slots = endpoints.stream().mapToInt(Integer::intValue).sum();
        int[] perSubtask = new int[parallelism];
        int offset = 0;
        for (int concurrency : endpoints) {
            int dealt = 0;
            for (int subtask = 0; subtask < parallelism; subtask++) {
                int share = EmbeddingOptions.share(offset, concurrency, subtask, parallelism);
                assertThat(share).isNotNegative();
                dealt += share;
                perSubtask[subtask] += share;
            }
            assertThat(dealt).as("the shares of an endpoint").isEqualTo(concurrency);
            offset += concurrency;
        }
        assertThat(perSubtask)
                .containsOnly(slots / parallelism, (slots + parallelism - 1) / parallelism);
    }

    @Test
    void moreSubtasksThanTheEndpointsTakeRequestsNamesTheKey() {
        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        ollama(
                                                "[{url: 'http://127.0.0.1:11434'},"
                                                        + " {url: 'http://127.0.0.1:11435'}]",
                                                "3")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("embedding.parallelism")
                .hasMessageContaining("3 subtasks, but the endpoints take 2 requests at once")
                .hasMessageContaining("at most 2");
        assertThat(
                        EmbeddingOptions.from(
                                        ollama(
                                                "[{url: 'http://127.0.0.1:11434', max-concurrency: 2},"
                                                        + " {url: 'http://127.0.0.1:11435'}]",
                                                "3"))
                                .parallelism())
                .isEqualTo(3);
    }

    @Test
    void anEndpointListedTwiceNamesTheKey() {
        assertThatThrownBy(
                        () ->
                                EmbeddingOptions.from(
                                        ollama(
                                                "[{url: 'http://gpu-1:11434', max-concurrency: 4},"
                                                        + " {url: 'http://gpu-1:11434/', max-concurrency: 4}]",
                                                "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("embedding.endpoints")
                .hasMessageContaining("http://gpu-1:11434 is listed twice");
    }

    /**
     * Two endpoints of one slot each and two subtasks: each subtask gets one endpoint (the second
     * subtask used to get none, and failed at every start).
     */
    @Test
    void everySubtaskOfAPoolWithASlotForEachHasAnEndpoint() throws Exception {
        EmbeddingOptions pool =
                EmbeddingOptions.from(
                        ollama(
                                "[{url: 'http://127.0.0.1:11434'}, {url: 'http://127.0.0.1:11435'}]",
                                "2"));
        for (int subtask = 0; subtask < 2; subtask++) {
            try (EmbeddingPool opened = pool.openPool(subtask, 2, PoolListener.NONE)) {
                assertThat(opened).as("subtask %d", subtask).isNotNull();
            }
        }
        // more subtasks than slots, as an autoscaler's override could make them: the extra one
        // still has an endpoint, rather than a task that can never start
        try (EmbeddingPool opened = pool.openPool(2, 3, PoolListener.NONE)) {
            assertThat(opened).isNotNull();
        }
    }

    private static RagstreamConfig ollama(String endpoints, String parallelism) {
        return RagstreamConfig.of(PoolConfig.ollama(endpoints))
                .with("embedding.parallelism", parallelism);
    }
}
