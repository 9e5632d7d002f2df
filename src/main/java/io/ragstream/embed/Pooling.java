package io.ragstream.embed;

import java.nio.FloatBuffer;

/**
 * How a model's token states ({@code last_hidden_state}) become one L2-normalised vector, as
 * sentence-transformers configures it for the model ({@code 1_Pooling/config.json}).
 */
public enum Pooling {
    /** The mean over the attention mask ({@link MeanPooling}): all-MiniLM-L6-v2. */
    MEAN {
        @Override
        float[] pool(FloatBuffer states, int offset, int tokens, int dimension, int textIndex) {
            return MeanPooling.pool(states, offset, tokens, dimension, textIndex);
        }
    },
    /** The state of the first token, {@code [CLS]}: the BGE models. */
    CLS {
        @Override
        float[] pool(FloatBuffer states, int offset, int tokens, int dimension, int textIndex) {
            double[] cls = new double[dimension];
            for (int d = 0; d < dimension; d++) {
                cls[d] = states.get(offset + d);
            }
            return unit(cls, textIndex);
        }
    };

    /**
     * One text's vector from its {@code tokens} unmasked states of {@code dimension} floats, from
     * {@code offset} in {@code states}; the padding after them is never read.
     *
     * @throws IllegalStateException when the vector has norm 0 or is not finite
     */
    abstract float[] pool(FloatBuffer states, int offset, int tokens, int dimension, int textIndex);

    static float[] unit(double[] vector, int textIndex) {
        try {
            return Vectors.unitLength(vector);
        } catch (IllegalArgumentException noDirection) {
            throw new IllegalStateException(
                    "The model gave " + noDirection.getMessage() + " for texts[" + textIndex + "]");
        }
    }
}
