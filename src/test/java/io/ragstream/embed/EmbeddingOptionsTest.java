package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import org.junit.jupiter.api.Test;

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
        EmbeddingOptions one = EmbeddingOptions.from(RagstreamConfig.of(Map.of("embedding.max-in-flight", "1")));
        assertThat(one.inProcessModel().intraOpThreads()).isEqualTo(CORES);
        EmbeddingOptions many = EmbeddingOptions.from(RagstreamConfig.of(Map.of("embedding.max-in-flight", Integer.toString(4 * CORES))));
        assertThat(many.inProcessModel().intraOpThreads()).isEqualTo(1);
    }

    @Test
    void aMaxInFlightBelowOneNamesTheKey() {
        assertThatThrownBy(() -> EmbeddingOptions.from(RagstreamConfig.of(Map.of("embedding.max-in-flight", "0"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("embedding.max-in-flight").hasMessageContaining("must be > 0");
    }
}
