package io.ragstream.bench;

import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.EmbeddingServerStats;
import io.ragstream.embed.server.ModelKind;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MlPredictBenchTest {
    @Test
    void mlPredictEmbedsEveryTextThroughTheOpenAiProvider() throws Exception {
        EmbeddingServerOptions shape =
                EmbeddingServerOptions.defaults()
                        .withModel(ModelKind.SYNTHETIC)
                        .withLatency(Duration.ofMillis(2), Duration.ZERO)
                        .withMaxConcurrency(2);
        try (EmbeddingServerGroup servers = EmbeddingServerGroup.start(2, shape)) {
            List<java.net.URI> urls = servers.servers().stream().map(s -> s.openAiUrl()).toList();
            double seconds = MlPredictBench.runSeconds(urls, shape.modelName(), 2, 50);
            assertThat(seconds).isPositive();
            long texts = 0;
            long rejected = 0;
            for (EmbeddingServerStats.Snapshot stats : servers.stats()) {
                texts += stats.texts();
                rejected += stats.rejected();
                assertThat(stats.texts()).isEqualTo(25); // each model gets its own slice
            }
            assertThat(texts).isEqualTo(50);
            assertThat(rejected).isZero();
        }
    }

    @Test
    void oneModelPerEndpointOverDisjointSlices() {
        List<String> sql =
                MlPredictBench.statements(
                        List.of(
                                java.net.URI.create("http://127.0.0.1:1/v1/embeddings"),
                                java.net.URI.create("http://127.0.0.1:2/v1/embeddings")),
                        "m",
                        4,
                        10);
        assertThat(sql).anyMatch(s -> s.contains("MOD(id, 2) = 1"));
        assertThat(sql.get(sql.size() - 1))
                .contains("UNION ALL")
                .contains("'max-concurrent-operations', '4'");
    }
}
