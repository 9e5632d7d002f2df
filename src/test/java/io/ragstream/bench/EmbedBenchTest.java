package io.ragstream.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

class EmbedBenchTest {

    @Test
    void paddingIsCountedPerRunOfSortedLengthsWithinARequest() {
        // one request of 4, runs of 2: sorted 10 20 | 30 100 -> 2 * 20 + 2 * 100 computed
        EmbedBench.Padding padding = EmbedBench.padding(new int[] {100, 10, 30, 20}, 4, 2);
        assertThat(padding.tokens()).isEqualTo(160);
        assertThat(padding.computed()).isEqualTo(240);
        assertThat(padding.share()).isCloseTo(80 / 240.0, offset(1e-12));
        // requests of 2 in arrival order: 100 10 | 30 20 -> 2 * 100 + 2 * 30
        assertThat(EmbedBench.padding(new int[] {100, 10, 30, 20}, 2, 2).computed()).isEqualTo(260);
        // one text per run: nothing padded
        assertThat(EmbedBench.padding(new int[] {100, 10, 30, 20}, 4, 1).share()).isZero();
        assertThat(EmbedBench.padding(new int[0], 4, 2).share()).isZero();
    }
}
