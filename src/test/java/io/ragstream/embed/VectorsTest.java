package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

class VectorsTest {

    @Test
    void unitLengthDividesByTheNormInDouble() {
        assertThat(Vectors.unitLength(new double[] {3, 0, -4})).containsExactly(0.6f, 0f, -0.8f);
        assertThat(Vectors.unitLength(new double[] {1e30, 1e30}))
                .containsExactly((float) Math.sqrt(0.5), (float) Math.sqrt(0.5));
        float[] v = Vectors.unitLength(new double[] {0.1, 0.2, 0.3, 0.4});
        assertThat(Vectors.norm(v)).isCloseTo(1.0, offset(1e-7));
    }

    @Test
    void aVectorWithoutDirectionOrFiniteNormHasNoUnitLength() {
        assertThatThrownBy(() -> Vectors.unitLength(new double[] {0, 0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a vector of norm 0.0");
        assertThatThrownBy(() -> Vectors.unitLength(new double[] {Double.NaN, 1}))
                .hasMessage("a vector of norm NaN");
        assertThatThrownBy(
                        () -> Vectors.unitLength(new double[] {Double.MAX_VALUE, Double.MAX_VALUE}))
                .hasMessage("a vector of norm Infinity");
    }

    @Test
    void normAndCosine() {
        assertThat(Vectors.norm(new float[] {3, 4})).isEqualTo(5.0);
        assertThat(Vectors.norm(new float[0])).isZero();
        assertThat(Vectors.cosine(new float[] {1, 0}, new float[] {5, 0})).isEqualTo(1.0);
        assertThat(Vectors.cosine(new float[] {1, 0}, new float[] {0, 2})).isEqualTo(0.0);
        assertThatThrownBy(() -> Vectors.cosine(new float[2], new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRandomUnitVectorHasUnitLength() {
        assertThat(Vectors.norm(Vectors.randomUnit(new Random(1), 384)))
                .isCloseTo(1.0, offset(1e-6));
    }
}
