package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

/**
 * One document version whose rows are committed: what the status topic tells upstream systems.
 *
 * @param embedded chunks whose text changed (their vectors came from a backend or its cache)
 * @param reused chunks whose text was unchanged and kept their stored vectors
 */
public record DocumentStatus(
        String tenant,
        String docId,
        long version,
        boolean deleted,
        int chunks,
        int embedded,
        int reused) {

    static DocumentStatus of(DocumentUpdate update) {
        int changed = update.changedChunks();
        return new DocumentStatus(
                update.tenant(),
                update.docId(),
                update.version(),
                update.deleted(),
                update.chunkCount(),
                changed,
                update.chunkCount() - changed);
    }
}
