package io.ragstream.chunk;

import java.util.Arrays;

/**
 * What the job remembers per document: its version, whether it is deleted, and the SHA-256 of
 * each chunk's text (32 bytes per chunk, concatenated), which is what makes writes incremental.
 */
public record DocumentState(long version, boolean deleted, byte[] chunkHashes) {
    static final int HASH_BYTES = 32;

    /** False for a delete that named no version while none was held: the table's version is what was deleted. */
    public boolean versionKnown() {
        return version != DocumentUpdate.VERSION_UNKNOWN;
    }

    public byte[] chunkHash(int chunkNo) {
        return Arrays.copyOfRange(chunkHashes, chunkNo * HASH_BYTES, (chunkNo + 1) * HASH_BYTES);
    }

    public int chunkCount() {
        return chunkHashes.length / HASH_BYTES;
    }

    public boolean holds(int chunkNo, byte[] sha256) {
        if (deleted || chunkNo >= chunkCount()) {
            return false;
        }
        int from = chunkNo * HASH_BYTES;
        return Arrays.equals(chunkHashes, from, from + HASH_BYTES, sha256, 0, HASH_BYTES);
    }
}
