package io.ragstream.embed;

import java.util.Random;

/** Arithmetic on embedding vectors, in double precision. */
public final class Vectors {

    private Vectors() {}

    /** Cosine similarity; 1 for vectors pointing the same way, whatever their lengths. */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(
                    "vectors of " + a.length + " and " + b.length + " dimensions");
        }
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** The L2 norm (length) of {@code v}. */
    public static double norm(float[] v) {
        double squares = 0;
        for (float x : v) {
            squares += (double) x * x;
        }
        return Math.sqrt(squares);
    }

    /**
     * {@code v} divided by its L2 norm, as floats: the normalisation every embedding vector goes
     * through (see {@link Embedder}).
     *
     * @throws IllegalArgumentException saying "a vector of norm N" when {@code v} has no direction
     *     (norm 0) or its norm is not finite
     */
    public static float[] unitLength(double[] v) {
        double squares = 0;
        for (double x : v) {
            squares += x * x;
        }
        double norm = Math.sqrt(squares);
        if (!(norm > 0) || Double.isInfinite(norm)) {
            throw new IllegalArgumentException("a vector of norm " + norm);
        }
        float[] unit = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] / norm);
        }
        return unit;
    }

    /** A random direction of {@code dimension} floats, of length 1: a stand-in for an embedding. */
    public static float[] randomUnit(Random random, int dimension) {
        float[] v = new float[dimension];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
