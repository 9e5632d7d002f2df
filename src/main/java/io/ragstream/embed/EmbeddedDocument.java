package io.ragstream.embed;

import io.ragstream.chunk.DocumentUpdate;

import java.util.List;

/**
 * A document update with its vectors, and the chunks a backend rejected for good: those have no
 * vector, are dead-lettered with the backend's reason, and their rows are removed.
 */
public record EmbeddedDocument(DocumentUpdate update, List<RejectedChunk> rejected) {

    public record RejectedChunk(int chunkNo, String text, String reason) {}
}
