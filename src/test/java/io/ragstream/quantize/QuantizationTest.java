package io.ragstream.quantize;

import io.ragstream.config.ConfigException;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The int8 codec's error bounds and edge cases, the sign bits, and how a mode is named and
 * recognised.
 */
class QuantizationTest {

    @Test
    void int8RoundTripStaysWithinHalfAStepOfEveryValue() {
        Random random = new Random(42);
        for (int n = 0; n < 200; n++) {
            float[] v = new float[384];
            for (int i = 0; i < v.length; i++) {
                v[i] =
                        (float)
                                (random.nextGaussian()
                                        * (n % 2 == 0 ? 1 : 1e-3)); // wide and tiny ranges
            }
            Int8Vector q = Int8Vector.encode(v);
            float min = min(v), max = max(v);
            assertThat(q.scale()).isCloseTo((max - min) / 255f, within((max - min) * 1e-6f));
            float[] back = q.decode();
            for (int i = 0; i < v.length; i++) {
                assertThat(back[i])
                        .as("dimension %d of vector %d", i, n)
                        .isCloseTo(v[i], within(q.scale() / 2 * 1.0001f));
            }
            // the extremes use the whole code range, so no step is wasted
            assertThat(q.codes()).contains((byte) -128, (byte) 127);
            // and a cosine against the decoded vector is near the exact one
            assertThat(q.cosineDistance(v)).isCloseTo(0, within(1e-4));
        }
    }

    @Test
    void int8KeepsAConstantVectorExactly() {
        float[] v = new float[384];
        java.util.Arrays.fill(v, -0.37f);
        Int8Vector q = Int8Vector.encode(v);
        assertThat(q.scale()).isZero();
        assertThat(q.offset()).isEqualTo(-0.37f);
        assertThat(q.decode()).containsOnly(-0.37f).hasSize(384);
    }

    @Test
    void int8KeepsTheZeroVectorWithoutNaN() {
        Int8Vector q = Int8Vector.encode(new float[384]);
        assertThat(q.scale()).isZero();
        assertThat(q.offset()).isZero();
        assertThat(q.decode()).containsOnly(0f);
        assertThat(q.cosineDistance(new float[384]))
                .isEqualTo(1); // nothing is near a zero vector, not NaN
        float[] query = new float[384];
        query[0] = 1;
        assertThat(q.cosineDistance(query)).isEqualTo(1);
    }

    @Test
    void int8RejectsValuesItCannotStore() {
        assertThatThrownBy(() -> Int8Vector.encode(new float[] {0.1f, Float.NaN}))
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> Int8Vector.encode(new float[] {Float.POSITIVE_INFINITY}))
                .hasMessageContaining("Infinity");
    }

    @Test
    void int8CosineDistanceMatchesTheDecodedVectors() {
        float[] a = {0.5f, -0.25f, 0.75f, 0.1f};
        float[] b = {-0.2f, 0.4f, 0.3f, 0.9f};
        Int8Vector q = Int8Vector.encode(b);
        float[] d = q.decode();
        double dot = 0, na = 0, nd = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * d[i];
            na += a[i] * a[i];
            nd += d[i] * d[i];
        }
        assertThat(q.cosineDistance(a)).isCloseTo(1 - dot / Math.sqrt(na * nd), within(1e-6));
    }

    @Test
    void signBitsAreSetWherePgvectorsBinaryQuantizeSetsThem() {
        // binary_quantize('[-1,0,1,0.5]') = 0011 in pgvector: a bit for > 0, zero included as 0
        assertThat(Quantization.signBits(new float[] {-1f, 0f, 1f, 0.5f}).getValue())
                .isEqualTo("0011");
    }

    @Test
    void parseTakesTheFourModesInAnyCaseAndNamesTheKeyOtherwise() {
        assertThat(Quantization.parse(" Int8 ")).isEqualTo(Quantization.INT8);
        assertThat(Quantization.parse("binary")).isEqualTo(Quantization.BINARY);
        assertThat(Quantization.parse("FLOAT32")).isEqualTo(Quantization.FLOAT32);
        assertThat(Quantization.parse("float16")).hasToString("float16");
        assertThatThrownBy(() -> Quantization.parse("int4"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'quantization'")
                .hasMessageContaining("int4")
                .hasMessageContaining("float32 | float16 | int8 | binary");
    }

    @Test
    void aTableIsRecognisedByItsColumnTypeAndIndexOperatorClass() {
        assertThat(Quantization.ofTable("vector", List.of("vector_cosine_ops")))
                .containsExactly(Quantization.FLOAT32);
        assertThat(Quantization.ofTable("halfvec", List.of("halfvec_cosine_ops")))
                .containsExactly(Quantization.FLOAT16);
        assertThat(Quantization.ofTable("halfvec", List.of("bit_hamming_ops")))
                .containsExactly(Quantization.BINARY);
        assertThat(Quantization.ofTable("bytea", List.of("bit_hamming_ops")))
                .containsExactly(Quantization.INT8);
        // without its index a halfvec table may be either
        assertThat(Quantization.ofTable("halfvec", List.of()))
                .containsExactly(Quantization.FLOAT16, Quantization.BINARY);
        assertThat(Quantization.ofTable("text", List.of())).isEmpty();
    }

    @Test
    void int8BindsFourColumnsTheOthersOne() {
        assertThat(Quantization.INT8.vectorColumns())
                .containsExactly(
                        "embedding", "embedding_scale", "embedding_offset", "embedding_bits");
        for (Quantization q :
                List.of(Quantization.FLOAT32, Quantization.FLOAT16, Quantization.BINARY)) {
            assertThat(q.vectorColumns()).containsExactly("embedding");
        }
        assertThat(Quantization.INT8.reranks()).isTrue();
        assertThat(Quantization.BINARY.reranks()).isTrue();
        assertThat(Quantization.FLOAT16.reranks()).isFalse();
    }

    private static float min(float[] v) {
        float m = Float.POSITIVE_INFINITY;
        for (float x : v) m = Math.min(m, x);
        return m;
    }

    private static float max(float[] v) {
        float m = Float.NEGATIVE_INFINITY;
        for (float x : v) m = Math.max(m, x);
        return m;
    }
}
