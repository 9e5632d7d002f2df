package io.ragstream.embed;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.IntSummaryStatistics;

/**
 * The checks every vector of one HTTP answer goes through, and what makes it keep {@link
 * Embedder}'s contract: its length against the configured {@code dimension}, its values, each a
 * finite float, and its norm: a vector is scaled to unit length here, unless it has that already
 * (within {@value #UNIT_TOLERANCE}: the server normalised it, as Ollama, OpenAI and most
 * sentence-transformers servers do, and it passes as given). Failures carry the answer's {@code
 * status} and name the backend ({@code who}) and the vector by its position in the batch.
 *
 * <ul>
 *   <li>Every vector of an answer with another length than configured: MISCONFIGURED (the endpoint
 *       serves another model, or the configured dimension is wrong).
 *   <li>Some (not all) vectors of the wrong length, a value that is not a number, a non-finite
 *       value, or a vector of zeros (no direction for cosine distance to compare): PERMANENT; the
 *       server answered, and asking again gets the same answer.
 * </ul>
 */
record VectorChecks(int dimension, int status, String who) {

    /** How far from 1 the norm of a vector the server normalised itself may be (float rounding). */
    static final double UNIT_TOLERANCE = 1e-4;

    /** The checks for the vectors of {@code response}. */
    static VectorChecks of(HttpResponse<?> response, int dimension, String who) {
        return new VectorChecks(dimension, response.statusCode(), who);
    }

    /**
     * Checks the vectors' lengths before their values: when every one has another length than the
     * dimension, the endpoint is misconfigured (no input is to blame); when only some have, the
     * first of those is a bad answer for its input.
     */
    void dimensions(int[] lengths) {
        int wrong = (int) Arrays.stream(lengths).filter(n -> n != dimension).count();
        if (wrong > 0 && wrong == lengths.length) {
            IntSummaryStatistics got = Arrays.stream(lengths).summaryStatistics();
            String values =
                    got.getMin() == got.getMax()
                            ? Integer.toString(got.getMin())
                            : got.getMin() + " to " + got.getMax();
            throw new EmbeddingFailure(
                    EmbeddingFailure.Kind.MISCONFIGURED,
                    status,
                    who
                            + ": wrong dimension: every vector of the answer has "
                            + values
                            + " values, expected "
                            + dimension
                            + " (does the endpoint serve the configured model, and is the configured dimension the model's?)",
                    null);
        }
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] != dimension) {
                throw wrongDimension(i, lengths[i]);
            }
        }
    }

    /**
     * A JSON array of numbers as a unit vector, checked: {@code dimension} values, each a number
     * that is finite as a float ({@code null}, a NaN or Infinity literal, or a number beyond the
     * float range such as 1e39 is not), and not all zero.
     */
    float[] vector(JsonNode array, int position) {
        if (array == null || !array.isArray()) {
            throw bad(
                    "vector "
                            + position
                            + " is not an array of numbers: "
                            + HttpFailures.clip(String.valueOf(array)));
        }
        if (array.size() != dimension) {
            throw wrongDimension(position, array.size());
        }
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            JsonNode x = array.get(i);
            if (x.isNull()) { // what orjson and some encoders write for NaN
                throw nonFinite(position, i, "null");
            }
            if (!x.isNumber()) {
                throw bad(
                        "vector "
                                + position
                                + " has a non-number at "
                                + i
                                + ": "
                                + HttpFailures.clip(x.toString()));
            }
            v[i] = x.floatValue();
            if (!Float.isFinite(v[i])) {
                throw nonFinite(position, i, x.asText());
            }
        }
        return unitLength(v, position);
    }

    /**
     * A vector decoded from binary as a unit vector, its values checked (its length is checked by
     * {@link #dimensions}).
     */
    float[] decoded(float[] v, int position) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw nonFinite(position, i, Float.toString(v[i]));
            }
        }
        return unitLength(v, position);
    }

    /** {@code v} (finite) as it is when it has unit length already, else scaled to it. */
    private float[] unitLength(float[] v, int position) {
        double norm = Vectors.norm(v);
        if (Math.abs(norm - 1) <= UNIT_TOLERANCE) {
            return v;
        }
        if (norm == 0) {
            throw bad(
                    "vector "
                            + position
                            + " is all zeros: it has no direction for cosine distance to compare");
        }
        double[] values = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            values[i] = v[i];
        }
        return Vectors.unitLength(values);
    }

    private EmbeddingFailure wrongDimension(int position, int got) {
        return bad(
                "wrong dimension: vector "
                        + position
                        + " has "
                        + got
                        + " values, expected "
                        + dimension
                        + " (is the configured dimension the model's?)");
    }

    private EmbeddingFailure nonFinite(int position, int index, String value) {
        return bad(
                "vector "
                        + position
                        + " has a non-finite value (NaN or infinite) at "
                        + index
                        + ": "
                        + value);
    }

    private EmbeddingFailure bad(String what) {
        return HttpFailures.badAnswer(status, who, what);
    }
}
