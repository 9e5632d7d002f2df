package io.ragstream.embed;

import java.nio.FloatBuffer;

/**
 * Sentence-transformers' pooling for all-MiniLM-L6-v2: the mean of a text's token states over its
 * attention mask, L2-normalised. A batch's rows are padded to its longest text; the padding follows
 * a text's tokens and is left out, so a vector does not depend on what it was batched with.
 */
final class MeanPooling {

    private MeanPooling() {}

    /**
     * The mean of the first {@code tokens} states of {@code dimension} floats from {@code offset}
     * in {@code states} (the unmasked ones), L2-normalised ({@link Vectors#unitLength}). The
     * division by {@code tokens} cancels in the normalisation.
     *
     * @throws IllegalStateException when the mean has norm 0 or is not finite: it has no direction
     */
    static float[] pool(FloatBuffer states, int offset, int tokens, int dimension, int textIndex) {
        double[] sum = new double[dimension];
        for (int t = 0; t < tokens; t++) {
            int base = offset + t * dimension;
            for (int d = 0; d < dimension; d++) {
                sum[d] += states.get(base + d);
            }
        }
        try {
            return Vectors.unitLength(sum);
        } catch (IllegalArgumentException noDirection) {
            throw new IllegalStateException(
                    "The model gave " + noDirection.getMessage() + " for texts[" + textIndex + "]");
        }
    }
}
