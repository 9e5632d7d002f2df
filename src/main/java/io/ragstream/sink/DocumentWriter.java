package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies document updates inside the caller's transaction, batched: the document row first,
 * guarded by version, and the chunk writes only for documents whose row took the update. So an
 * update applied twice, or after a newer one, changes nothing.
 */
final class DocumentWriter {

    /**
     * What one {@link #write} changed.
     *
     * @param textUnavailable updates that keep the stored chunks (Debezium sent no text: an
     *     unchanged TOASTed column) of a document the table holds no live version of
     * @param firstWithoutText the first of those, to name in a warning; null when none
     * @param applied the updates that were not stale
     */
    record Counts(
            long rowsUpserted,
            long rowsDeleted,
            long staleDocuments,
            long missingChunks,
            long textUnavailable,
            DocumentUpdate firstWithoutText,
            List<DocumentUpdate> applied) {}

    /** What became of an update that keeps the stored chunks. */
    private enum Restamp {
        APPLIED,
        STALE,
        NO_TEXT
    }

    private final PgVectorSchema schema;
    private final String model;

    DocumentWriter(PgVectorSchema schema, String model) {
        this.schema = schema;
        this.model = model;
    }

    Counts write(Connection connection, List<DocumentUpdate> updates) throws SQLException {
        long upserted = 0, deleted = 0, stale = 0, missing = 0, withoutText = 0;
        DocumentUpdate firstWithoutText = null;
        List<DocumentUpdate> appliedAll = new ArrayList<>();
        // a document updated twice in one batch goes in two rounds, so its updates keep their order
        for (List<DocumentUpdate> round : rounds(updates)) {
            List<DocumentUpdate> batched = new ArrayList<>(round.size());
            for (DocumentUpdate u : round) {
                if (u.truncatesTopic()) {
                    deleted += truncate(connection, u);
                } else if (!u.versionKnown()) {
                    DocumentUpdate done = deleteHeldVersion(connection, u);
                    if (done == null) {
                        stale++;
                    } else {
                        deleted += deleteChunksFrom(connection, List.of(done));
                        appliedAll.add(done);
                    }
                } else if (u.keepsStoredChunks()) {
                    switch (restampStoredChunks(connection, u)) {
                        case APPLIED -> appliedAll.add(u);
                        case STALE -> stale++;
                        case NO_TEXT -> {
                            withoutText++;
                            firstWithoutText = firstWithoutText == null ? u : firstWithoutText;
                        }
                    }
                } else {
                    batched.add(u);
                }
            }
            List<DocumentUpdate> applied = upsertDocuments(connection, batched);
            stale += batched.size() - applied.size();
            deleted += deleteChunksFrom(connection, applied);
            upserted += upsertChangedChunks(connection, applied);
            missing += restampUnchangedChunks(connection, applied);
            appliedAll.addAll(applied);
        }
        return new Counts(
                upserted, deleted, stale, missing, withoutText, firstWithoutText, appliedAll);
    }

    static List<List<DocumentUpdate>> rounds(List<DocumentUpdate> updates) {
        List<List<DocumentUpdate>> rounds = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (DocumentUpdate update : updates) {
            int round = seen.merge(update.key(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(update);
        }
        return rounds;
    }

    private List<DocumentUpdate> upsertDocuments(Connection connection, List<DocumentUpdate> round)
            throws SQLException {
        if (round.isEmpty()) {
            return List.of();
        }
        try (PreparedStatement st = connection.prepareStatement(schema.upsertDocument())) {
            for (DocumentUpdate u : round) {
                st.setString(1, u.tenant());
                st.setString(2, u.docId());
                st.setLong(3, u.version());
                st.setInt(4, u.chunkCount());
                st.setBoolean(5, u.deleted());
                st.setString(6, u.sourceTopic());
                st.addBatch();
            }
            int[] counts = st.executeBatch();
            List<DocumentUpdate> applied = new ArrayList<>(round.size());
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    applied.add(round.get(i));
                }
            }
            return applied;
        }
    }

    /** Chunks numbered at or past each document's new count. */
    private long deleteChunksFrom(Connection connection, List<DocumentUpdate> applied)
            throws SQLException {
        if (applied.isEmpty()) {
            return 0;
        }
        try (PreparedStatement st = connection.prepareStatement(schema.deleteChunksFrom())) {
            for (DocumentUpdate u : applied) {
                st.setString(1, u.tenant());
                st.setString(2, u.docId());
                st.setInt(3, u.chunkCount());
                st.addBatch();
            }
            return sum(st.executeBatch());
        }
    }

    /**
     * Deletes every live document the truncated topic wrote before it, and their chunks; returns
     * the chunks deleted.
     */
    private long truncate(Connection connection, DocumentUpdate u) throws SQLException {
        try (PreparedStatement mark = connection.prepareStatement(schema.markTruncate());
                PreparedStatement documents =
                        connection.prepareStatement(schema.truncateDocuments());
                PreparedStatement chunks =
                        connection.prepareStatement(schema.deleteChunksOfDeletedDocuments())) {
            mark.setString(1, u.sourceTopic());
            mark.setLong(2, u.version());
            mark.setString(3, u.sourceTopic());
            mark.executeUpdate();
            documents.setLong(1, u.version());
            documents.setString(2, u.sourceTopic());
            documents.setLong(3, u.version());
            documents.executeUpdate();
            chunks.setString(1, u.sourceTopic());
            return chunks.executeUpdate();
        }
    }

    /**
     * The delete, with the version the table held; null when there was no live document to delete.
     */
    private DocumentUpdate deleteHeldVersion(Connection connection, DocumentUpdate u)
            throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(schema.deleteHeldVersion())) {
            st.setString(1, u.tenant());
            st.setString(2, u.docId());
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? u.withVersion(rs.getLong(1)) : null;
            }
        }
    }

    /**
     * A new version of a live document whose text did not change. Stale when the table holds a
     * newer version; without text when it holds no live one at all: the text was never read (the
     * topic's first change of the row had expired, or came before the job's start).
     */
    private Restamp restampStoredChunks(Connection connection, DocumentUpdate u)
            throws SQLException {
        try (PreparedStatement doc = connection.prepareStatement(schema.restampDocument())) {
            doc.setLong(1, u.version());
            doc.setString(2, u.tenant());
            doc.setString(3, u.docId());
            doc.setLong(4, u.version());
            if (doc.executeUpdate() == 0) {
                return holdsNewer(connection, u) ? Restamp.STALE : Restamp.NO_TEXT;
            }
        }
        try (PreparedStatement chunks = connection.prepareStatement(schema.restampAllChunks())) {
            chunks.setLong(1, u.version());
            chunks.setString(2, u.metadata());
            chunks.setString(3, u.tenant());
            chunks.setString(4, u.docId());
            chunks.setLong(5, u.version());
            chunks.executeUpdate();
            return Restamp.APPLIED;
        }
    }

    /** Whether the table holds a version the update may not change: a newer one, or its delete. */
    private boolean holdsNewer(Connection connection, DocumentUpdate u) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(schema.documentVersion())) {
            st.setString(1, u.tenant());
            st.setString(2, u.docId());
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                long held = rs.getLong(1);
                return held > u.version() || (held == u.version() && rs.getBoolean(2));
            }
        }
    }

    private long upsertChangedChunks(Connection connection, List<DocumentUpdate> applied)
            throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(schema.upsertChunk())) {
            for (DocumentUpdate u : applied) {
                for (ChunkRow chunk : u.chunks()) {
                    if (!chunk.changed()) {
                        continue;
                    }
                    if (chunk.embedding() == null) {
                        continue; // rejected by the backend and dead-lettered: its stored row stays
                        // as it was
                    }
                    if (chunk.embedding().length != schema.dimension()) {
                        throw new IllegalStateException(
                                "chunk "
                                        + chunk.chunkNo()
                                        + " of "
                                        + u.key()
                                        + " reached the sink with a "
                                        + chunk.embedding().length
                                        + "-dim embedding, expected "
                                        + schema.dimension());
                    }
                    st.setString(1, u.tenant());
                    st.setString(2, u.docId());
                    st.setInt(3, chunk.chunkNo());
                    st.setLong(4, u.version());
                    st.setString(5, chunk.text());
                    st.setBytes(6, chunk.sha256());
                    st.setString(7, u.metadata());
                    st.setString(8, model);
                    schema.quantization().bind(st, 9, chunk.embedding());
                    st.addBatch();
                }
            }
            return sum(st.executeBatch());
        }
    }

    /** Returns how many unchanged chunks were not found as the job expected them. */
    private long restampUnchangedChunks(Connection connection, List<DocumentUpdate> applied)
            throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(schema.restampChunk())) {
            int expected = 0;
            for (DocumentUpdate u : applied) {
                for (ChunkRow chunk : u.chunks()) {
                    if (chunk.changed()) {
                        continue;
                    }
                    st.setLong(1, u.version());
                    st.setString(2, u.metadata());
                    st.setString(3, u.tenant());
                    st.setString(4, u.docId());
                    st.setInt(5, chunk.chunkNo());
                    st.setBytes(6, chunk.sha256());
                    st.setLong(7, u.version());
                    st.addBatch();
                    expected++;
                }
            }
            return expected == 0 ? 0 : expected - sum(st.executeBatch());
        }
    }

    private static long sum(int[] counts) {
        long total = 0;
        for (int c : counts) {
            total += Math.max(c, 0);
        }
        return total;
    }
}
