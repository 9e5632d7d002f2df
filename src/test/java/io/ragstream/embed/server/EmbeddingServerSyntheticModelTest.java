package io.ragstream.embed.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link SyntheticEmbedder}: the cheap stand-in model the server benchmarks with. */
class EmbeddingServerSyntheticModelTest {

    final SyntheticEmbedder model = new SyntheticEmbedder();

    @Test
    void givesEachTextADeterministicUnitVector() {
        List<float[]> vectors = model.embed(List.of("alpha", "beta", "alpha", ""));

        assertThat(vectors).hasSize(4);
        for (float[] v : vectors) {
            assertThat(v).hasSize(384);
            assertThat(TestHttp.norm(v)).isCloseTo(1.0, within(1e-5));
            for (float x : v) {
                assertThat(Float.isFinite(x)).isTrue();
            }
        }
        assertThat(vectors.get(2)).containsExactly(vectors.get(0));
        assertThat(vectors.get(1)).isNotEqualTo(vectors.get(0));
        assertThat(model.model()).isEqualTo("synthetic");
        assertThat(model.dimension()).isEqualTo(384);
    }

    @Test
    void isTheSameAcrossRunsAndReleases() {
        // pinned: SHA-256 and SplitMix64 are fixed algorithms, so this never changes
        float[] v = SyntheticEmbedder.vector("Why is the sky blue?");
        assertThat(v[0]).isEqualTo(PINNED_0);
        assertThat(v[383]).isEqualTo(PINNED_383);
    }

    @Test
    void vectorsDoNotDependOnTheirBatch() {
        assertThat(model.embed(List.of("x", "y")).get(1))
                .containsExactly(model.embed(List.of("y")).get(0));
    }

    @Test
    void unrelatedTextsAreNearlyOrthogonal() {
        float[] a = SyntheticEmbedder.vector("the cat sat on the mat");
        float[] b = SyntheticEmbedder.vector("the cat sat on the hat");
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        assertThat(dot).isBetween(-0.3, 0.3);
    }

    @Test
    void countsWordsAsTokens() {
        assertThat(SyntheticEmbedder.countTokens("Why is the sky blue?")).isEqualTo(5);
        assertThat(SyntheticEmbedder.countTokens("  spaced\tout \n words ")).isEqualTo(3);
        assertThat(SyntheticEmbedder.countTokens("")).isEqualTo(1);
    }

    static final float PINNED_0 = Float.intBitsToFloat(1032230249); // 0.065714665
    static final float PINNED_383 = Float.intBitsToFloat(-1119322801); // -0.04894763
}
