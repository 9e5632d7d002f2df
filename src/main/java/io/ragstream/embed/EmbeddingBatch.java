package io.ragstream.embed;

import io.ragstream.chunk.DocumentUpdate;

import java.util.List;

/** Document updates grouped so that their changed chunks go to a backend together. */
public record EmbeddingBatch(List<DocumentUpdate> documents) {

    public int chunksToEmbed() {
        return documents.stream().mapToInt(DocumentUpdate::changedChunks).sum();
    }
}
