package io.ragstream.chunk;

import io.ragstream.ingest.DocumentEvent;

import java.util.List;

/**
 * Everything the sink must write for one document version: the document row, the chunks that
 * changed (to embed and upsert), the unchanged ones (to re-stamp) and, implicitly, the chunks
 * numbered at or past {@code chunkCount} (to delete). One record, so it is applied as a unit.
 *
 * @param version the document version, or {@link #VERSION_UNKNOWN} for a delete that carries no
 *     version of its own while the job holds none: it deletes the version the table holds
 * @param keepsStoredChunks the text is unchanged but the job holds no chunks for it (a Debezium
 *     placeholder for an unchanged column, after a restart without state): the stored chunks take
 *     the new version and metadata, whatever their number
 * @param sourceTopic the topic that wrote this version (null for files), so a truncate of that
 *     topic's table finds it
 */
public record DocumentUpdate(
        String tenant, String docId, long version, boolean deleted, String metadata, List<ChunkRow> chunks,
        boolean keepsStoredChunks, String sourceTopic) {

    public static final long VERSION_UNKNOWN = -1;

    public DocumentUpdate(String tenant, String docId, long version, boolean deleted, String metadata, List<ChunkRow> chunks) {
        this(tenant, docId, version, deleted, metadata, chunks, false, null);
    }

    public static DocumentUpdate delete(String tenant, String docId, long version) {
        return new DocumentUpdate(tenant, docId, version, true, "{}", List.of());
    }

    public String key() {
        return DocumentEvent.key(tenant, docId);
    }

    public boolean versionKnown() {
        return version != VERSION_UNKNOWN;
    }

    public int chunkCount() {
        return chunks.size();
    }

    public int changedChunks() {
        return (int) chunks.stream().filter(ChunkRow::changed).count();
    }

    public DocumentUpdate withChunks(List<ChunkRow> newChunks) {
        return new DocumentUpdate(tenant, docId, version, deleted, metadata, newChunks, keepsStoredChunks, sourceTopic);
    }

    public DocumentUpdate withVersion(long newVersion) {
        return new DocumentUpdate(tenant, docId, newVersion, deleted, metadata, chunks, keepsStoredChunks, sourceTopic);
    }
}
