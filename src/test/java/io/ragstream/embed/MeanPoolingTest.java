package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

class MeanPoolingTest {

    /**
     * Two texts of 2-dim token states, padded to 3 tokens: text 0 has 3 tokens, text 1 has 1 and 2
     * of padding.
     */
    private static final FloatBuffer BATCH =
            FloatBuffer.wrap(
                    new float[] {
                        1, 0, 3, 4, 2, 2, // text 0
                        0, 5, 9, 9, -7, 1
                    }); // text 1: its one token, then padding

    @Test
    void theMeanOfATextsTokensScaledToUnitLength() {
        float[] v = MeanPooling.pool(BATCH, 0, 3, 2, 0);
        // sum (6, 6): mean (2, 2), direction (1, 1) / sqrt 2
        assertThat(v[0]).isCloseTo((float) Math.sqrt(0.5), offset(1e-7f));
        assertThat(v[1]).isCloseTo((float) Math.sqrt(0.5), offset(1e-7f));
    }

    @Test
    void paddingAfterATextsTokensIsLeftOut() {
        assertThat(MeanPooling.pool(BATCH, 6, 1, 2, 1)).containsExactly(0f, 1f);
    }

    @Test
    void aVectorWithoutDirectionIsAnError() {
        FloatBuffer zeros = FloatBuffer.wrap(new float[] {1, -1, -1, 1});
        assertThatThrownBy(() -> MeanPooling.pool(zeros, 0, 2, 2, 7))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContainingAll("norm 0.0", "texts[7]");
        FloatBuffer nan = FloatBuffer.wrap(new float[] {Float.NaN, 1});
        assertThatThrownBy(() -> MeanPooling.pool(nan, 0, 1, 2, 0))
                .hasMessageContaining("norm NaN");
    }
}
