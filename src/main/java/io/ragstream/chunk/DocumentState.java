package io.ragstream.chunk;

import java.util.Arrays;

/**
 * What the job remembers per document: its version, whether it is deleted, the SHA-256 of each
 * chunk's text (32 bytes per chunk, concatenated), which is what makes writes incremental, and the
 * hash of the topic that wrote it, so a truncate of that topic's table finds it.
 */
public record DocumentState(
        long version, boolean deleted, byte[] chunkHashes, int sourceTopicHash) {
    static final int HASH_BYTES = 32;

    public DocumentState(long version, boolean deleted, byte[] chunkHashes) {
        this(version, deleted, chunkHashes, 0);
    }

    /**
     * String.hashCode is fixed by the language, so it survives restarts; 0 for no topic (a file).
     */
    static int topicHash(String topic) {
        return topic == null ? 0 : topic.hashCode();
    }

    /**
     * False for a delete that named no version while none was held: the table's version is what was
     * deleted.
     */
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
