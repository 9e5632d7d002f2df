package io.ragstream.ingest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The first {@code cap} bytes of a key or value, with the whole original's size and SHA-256: a dead
 * letter of any size then fits the producer, and the original can still be identified.
 *
 * @param head the original, or its first cap bytes when it is longer
 * @param size the original's length in bytes
 * @param sha256 hex SHA-256 of the whole original
 */
record ByteExcerpt(byte[] head, int size, String sha256) {

    /** An excerpt of {@code bytes} (not null) holding at most {@code cap} bytes. */
    static ByteExcerpt of(byte[] bytes, int cap) {
        byte[] head = bytes.length <= cap ? bytes : Arrays.copyOf(bytes, cap);
        return new ByteExcerpt(head, bytes.length, sha256(bytes));
    }

    boolean truncated() {
        return head.length < size;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
