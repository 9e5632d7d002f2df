package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

class PoolingTest {

    /** Two texts of three tokens of two dimensions: [CLS] state, then the others. */
    private static final FloatBuffer STATES =
            FloatBuffer.wrap(new float[] {3, 4, 100, 0, 0, 100, 0, 0, 1, 1, 5, 5});

    @Test
    void clsTakesTheFirstTokensStateNormalised() {
        assertThat(Pooling.CLS.pool(STATES, 0, 3, 2, 0))
                .containsExactly(new float[] {0.6f, 0.8f}, offset(1e-6f));
        // the text's other states and the padding after them are not read
        assertThat(Pooling.CLS.pool(STATES, 0, 1, 2, 0))
                .containsExactly(new float[] {0.6f, 0.8f}, offset(1e-6f));
    }

    @Test
    void meanAveragesTheUnmaskedStates() {
        float[] mean = Pooling.MEAN.pool(STATES, 0, 3, 2, 0);
        double norm = Math.hypot(103, 104);
        assertThat(mean)
                .containsExactly(
                        new float[] {(float) (103 / norm), (float) (104 / norm)}, offset(1e-6f));
    }

    @Test
    void aStateWithoutDirectionNamesTheText() {
        // the second text's [CLS] state is 0; its mean is not
        assertThat(Pooling.MEAN.pool(STATES, 6, 3, 2, 7)).hasSize(2);
        assertThatThrownBy(() -> Pooling.CLS.pool(STATES, 6, 2, 2, 7))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("texts[7]");
    }
}
