package io.ragstream.embed;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.offset;

class VectorChecksTest {

    private static final String WHO = "test server at http://h (model m)";
    private final VectorChecks checks = new VectorChecks(3, 200, WHO);

    private static JsonNode json(String text) throws Exception {
        return HttpTransport.JSON.readTree(text);
    }

    @Test
    void aVectorOfTheDimensionWithFiniteValuesPasses() throws Exception {
        assertThat(checks.vector(json("[0.6, 0, -0.8]"), 0)).containsExactly(0.6f, 0f, -0.8f);
        assertThat(checks.decoded(new float[] {1, 0, 0}, 0)).containsExactly(1f, 0f, 0f);
        checks.dimensions(new int[] {3, 3});
    }

    @Test
    void aVectorIsScaledToUnitLength() throws Exception {
        assertThat(checks.vector(json("[3, 0, 4]"), 0)).containsExactly(0.6f, 0f, 0.8f);
        assertThat(checks.decoded(new float[] {0, -2, 0}, 0)).containsExactly(0f, -1f, 0f);
        float[] tiny = checks.vector(json("[1e-30, 2e-30, 2e-30]"), 0);
        assertThat(Vectors.norm(tiny)).isCloseTo(1.0, offset(1e-6));
    }

    @Test
    void aVectorOfUnitLengthUpToRoundingPassesAsGiven() {
        float[] server = {
            0.6f, 0.8f, 0.00001f
        }; // norm 1 + 5e-11: what a server that normalised in float sends
        assertThat(checks.decoded(server, 0))
                .isSameAs(server)
                .containsExactly(0.6f, 0.8f, 0.00001f);
        float[] almost = {0.6f, 0.80005f, 0};
        assertThat(checks.decoded(almost, 0)).isSameAs(almost);
        float[] off = {0.6f, 0.801f, 0};
        assertThat(checks.decoded(off, 0)).isNotSameAs(off);
    }

    @Test
    void aVectorOfZerosIsPermanent() throws Exception {
        EmbeddingFailure f =
                catchThrowableOfType(
                        () -> checks.vector(json("[0, 0.0, -0]"), 4), EmbeddingFailure.class);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f.status()).isEqualTo(200);
        assertThat(f).hasMessageContainingAll(WHO, "vector 4", "all zeros");
    }

    @Test
    void everyVectorOfAnotherDimensionIsTheEndpointsMisconfiguration() {
        EmbeddingFailure f =
                catchThrowableOfType(
                        () -> checks.dimensions(new int[] {384, 768}), EmbeddingFailure.class);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f.status()).isEqualTo(200);
        assertThat(f)
                .hasMessageContainingAll(WHO, "every vector", "384 to 768 values", "expected 3");
    }

    @Test
    void someVectorsOfAnotherDimensionArePermanentForTheFirst() throws Exception {
        EmbeddingFailure f =
                catchThrowableOfType(
                        () -> checks.dimensions(new int[] {3, 4, 2}), EmbeddingFailure.class);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f)
                .hasMessageContainingAll("wrong dimension", "vector 1", "4 values", "expected 3");

        EmbeddingFailure one =
                catchThrowableOfType(
                        () -> checks.vector(json("[1, 2]"), 5), EmbeddingFailure.class);
        assertThat(one).hasMessageContainingAll("vector 5", "2 values");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "NaN literal        | [0.1, NaN, 0.3]       | NaN",
                "Infinity literal   | [0.1, -Infinity, 0.3] | Infinity",
                "null               | [0.1, null, 0.3]      | null",
                "beyond float range | [0.1, 1e39, 0.3]      | 1.0E39"
            })
    void aNonFiniteValueIsPermanent(String what, String vector, String shown) {
        EmbeddingFailure f =
                catchThrowableOfType(() -> checks.vector(json(vector), 2), EmbeddingFailure.class);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f.status()).isEqualTo(200);
        assertThat(f).hasMessageContainingAll("vector 2", "non-finite", "at 1", shown);
    }

    @Test
    void aNonFiniteDecodedValueIsPermanent() {
        EmbeddingFailure f =
                catchThrowableOfType(
                        () -> checks.decoded(new float[] {1, 0, Float.NaN}, 0),
                        EmbeddingFailure.class);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContainingAll("vector 0", "non-finite", "at 2", "NaN");
    }

    @Test
    void whatIsNoArrayOfNumbersIsPermanent() throws Exception {
        assertThat(
                        catchThrowableOfType(
                                () -> checks.vector(json("{\"values\": [1, 2, 3]}"), 0),
                                EmbeddingFailure.class))
                .hasMessageContaining("not an array of numbers")
                .extracting(EmbeddingFailure::kind)
                .isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(catchThrowableOfType(() -> checks.vector(null, 0), EmbeddingFailure.class))
                .hasMessageContaining("not an array of numbers");
        assertThat(
                        catchThrowableOfType(
                                () -> checks.vector(json("[1, \"2\", 3]"), 0),
                                EmbeddingFailure.class))
                .hasMessageContainingAll("non-number at 1", "\"2\"");
    }
}
