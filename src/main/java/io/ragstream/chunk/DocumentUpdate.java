package io.ragstream.chunk;

import java.util.List;

/**
 * Everything the sink must write for one document version: the document row, the chunks that
 * changed (to embed and upsert), the unchanged ones (to re-stamp) and, implicitly, the chunks
 * numbered at or past {@code chunkCount} (to delete). One record, so it is applied as a unit.
 */
public record DocumentUpdate(
        String tenant, String docId, long version, boolean deleted, String metadata, List<ChunkRow> chunks) {

    public static DocumentUpdate delete(String tenant, String docId, long version) {
        return new DocumentUpdate(tenant, docId, version, true, "{}", List.of());
    }

    public String key() {
        return tenant + "/" + docId;
    }

    public int chunkCount() {
        return chunks.size();
    }

    public int changedChunks() {
        return (int) chunks.stream().filter(ChunkRow::changed).count();
    }

    public DocumentUpdate withChunks(List<ChunkRow> newChunks) {
        return new DocumentUpdate(tenant, docId, version, deleted, metadata, newChunks);
    }
}
