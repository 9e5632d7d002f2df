package io.ragstream.quantize;

/**
 * A vector as one signed byte per dimension with its own scale and offset: {@code value[i] ≈ offset
 * + scale * codes[i]}. The codes span the vector's own range (its minimum is code -128, its maximum
 * 127), so every value comes back within {@code scale / 2}; a 384-dim vector takes 384 + 8 bytes
 * instead of float32's 1536.
 *
 * <p>A record over an array: equality is the array's identity, as for any Java array.
 */
public record Int8Vector(byte[] codes, float scale, float offset) {
    private static final int LEVELS = 255;

    public static Int8Vector encode(float[] vector) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : vector) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("cannot quantize a vector holding " + v);
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        byte[] codes = new byte[vector.length];
        if (vector.length == 0 || min == max) {
            // constant (the zero vector too): the offset alone holds it exactly, no division by 0
            return new Int8Vector(codes, 0f, vector.length == 0 ? 0f : min);
        }
        // the stored (float) scale and offset, not the exact ones, so decoding meets the bound
        float scale = (float) (((double) max - min) / LEVELS);
        float offset = (float) (min + 128.0 * scale);
        for (int i = 0; i < vector.length; i++) {
            long code = Math.round((vector[i] - (double) offset) / scale);
            codes[i] = (byte) Math.max(Byte.MIN_VALUE, Math.min(Byte.MAX_VALUE, code));
        }
        return new Int8Vector(codes, scale, offset);
    }

    public float[] decode() {
        float[] vector = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            vector[i] = (float) (offset + (double) scale * codes[i]);
        }
        return vector;
    }

    /**
     * Cosine distance (1 - cosine) between {@code query} and the decoded vector; 1 for a zero
     * vector.
     */
    public double cosineDistance(float[] query) {
        if (query.length != codes.length) {
            throw new IllegalArgumentException(
                    "a " + query.length + "-dim query against a " + codes.length + "-dim vector");
        }
        double dot = 0, norm = 0, queryNorm = 0;
        for (int i = 0; i < codes.length; i++) {
            double v = offset + (double) scale * codes[i];
            dot += query[i] * v;
            norm += v * v;
            queryNorm += (double) query[i] * query[i];
        }
        return norm == 0 || queryNorm == 0 ? 1 : 1 - dot / Math.sqrt(norm * queryNorm);
    }
}
