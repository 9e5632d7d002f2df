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
 * @param kind {@link Kind#WRITE} but for the two cases it names
 * @param sourceTopic the topic that wrote this version (null for files), so a truncate of that
 *     topic's table finds it
 */
public record DocumentUpdate(
        String tenant,
        String docId,
        long version,
        boolean deleted,
        String metadata,
        List<ChunkRow> chunks,
        Kind kind,
        String sourceTopic) {

    public enum Kind {
        /** The document row, and its changed, unchanged and vanished chunks, as the fields say. */
        WRITE,
        /**
         * The text is unchanged but the job holds no chunks for it (a Debezium placeholder for an
         * unchanged column, after a restart without state): the stored chunks take the new version
         * and metadata, whatever their number.
         */
        KEEP_STORED_CHUNKS,
        /**
         * A CDC truncate: every live document {@code sourceTopic} wrote before {@code version} is
         * deleted.
         */
        TRUNCATE_TOPIC
    }

    public static final long VERSION_UNKNOWN = -1;

    public DocumentUpdate(
            String tenant,
            String docId,
            long version,
            boolean deleted,
            String metadata,
            List<ChunkRow> chunks) {
        this(tenant, docId, version, deleted, metadata, chunks, Kind.WRITE, null);
    }

    public static DocumentUpdate delete(String tenant, String docId, long version) {
        return new DocumentUpdate(tenant, docId, version, true, "{}", List.of());
    }

    public static DocumentUpdate truncate(String sourceTopic, long version) {
        return new DocumentUpdate(
                "", "", version, true, "{}", List.of(), Kind.TRUNCATE_TOPIC, sourceTopic);
    }

    public boolean keepsStoredChunks() {
        return kind == Kind.KEEP_STORED_CHUNKS;
    }

    public boolean truncatesTopic() {
        return kind == Kind.TRUNCATE_TOPIC;
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
        return new DocumentUpdate(
                tenant, docId, version, deleted, metadata, newChunks, kind, sourceTopic);
    }

    public DocumentUpdate withVersion(long newVersion) {
        return new DocumentUpdate(
                tenant, docId, newVersion, deleted, metadata, chunks, kind, sourceTopic);
    }
}
