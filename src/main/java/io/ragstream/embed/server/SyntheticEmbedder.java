package io.ragstream.embed.server;

import io.ragstream.embed.Embedder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A stand-in model: each text gets a deterministic, unit-norm vector of {@value #DIMENSION} floats
 * derived from the SHA-256 of its UTF-8 bytes, in microseconds. Equal texts get equal vectors in
 * every JVM and release (the generator is SplitMix64, written out here); different texts get
 * unrelated vectors, so it is useless for search and meant for throughput benchmarks.
 *
 * <p>Thread-safe and stateless; {@link #close()} does nothing.
 */
public final class SyntheticEmbedder implements Embedder {

    /** The model name an {@link EmbeddingServer} serves it under by default. */
    public static final String MODEL_NAME = "synthetic";

    /** Same as all-MiniLM-L6-v2, so that its vectors fit the same tables. */
    public static final int DIMENSION = 384;

    @Override
    public String model() {
        return MODEL_NAME;
    }

    @Override
    public int dimension() {
        return DIMENSION;
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (String text : texts) {
            vectors.add(vector(text));
        }
        return vectors;
    }

    /** The vector of one text. */
    public static float[] vector(String text) {
        Objects.requireNonNull(text, "text");
        long state = ByteBuffer.wrap(sha256(text)).getLong();
        double[] values = new double[DIMENSION];
        double squares = 0;
        for (int i = 0; i < DIMENSION; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            values[i] = (z >>> 11) * 0x1.0p-52 - 1.0; // uniform in [-1, 1)
            squares += values[i] * values[i];
        }
        double norm = Math.sqrt(squares);
        float[] vector = new float[DIMENSION];
        for (int i = 0; i < DIMENSION; i++) {
            vector[i] = (float) (values[i] / norm);
        }
        return vector;
    }

    /** Tokens a request is charged for: whitespace-separated words, at least one per text. */
    public static int countTokens(String text) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return Math.max(1, words);
    }

    @Override
    public void close() {}

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "SyntheticEmbedder{" + DIMENSION + " dimensions}";
    }
}
