package io.ragstream.chunk;

/**
 * One chunk of a document version.
 *
 * @param text the chunk's text when it changed and must be (re)written; null when the stored row
 *     already holds this text and only needs the new version
 * @param sha256 SHA-256 of the chunk's text
 * @param embedding filled in by the embedding stage for changed chunks
 */
public record ChunkRow(int chunkNo, String text, byte[] sha256, float[] embedding) {

    public boolean changed() {
        return text != null;
    }

    public ChunkRow withEmbedding(float[] vector) {
        return new ChunkRow(chunkNo, text, sha256, vector);
    }
}
