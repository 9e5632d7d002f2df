package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.embed.Vectors;
import io.ragstream.quantize.Quantization;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sink's SQL against the real PostgreSQL: every write is guarded by the document version, so
 * replays and late, older updates change nothing, and a document's updates inside one batch keep
 * their order.
 */
class DocumentWriterIT {
    private final TestServices services = new TestServices("writer");
    private PgVectorSchema schema;
    private DocumentWriter writer;

    @BeforeEach
    void createTables() throws Exception {
        useQuantization(Quantization.FLOAT16);
    }

    private void useQuantization(Quantization q) throws Exception {
        schema = new PgVectorSchema(services.documentsTable, services.chunksTable, q, 8);
        writer = new DocumentWriter(schema, "test-model");
        try (Connection c = TestServices.connect()) {
            schema.create(c, 16, 64);
        }
    }

    @AfterEach
    void dropTables() throws Exception {
        services.dropTables();
    }

    @Test
    void versionsOnlyMoveForwardWhateverTheOrderOrRepeats() throws Exception {
        DocumentUpdate v1 = upsert(1, "alpha", "beta", "gamma");
        write(v1);
        assertThat(chunks()).containsExactly("0:1:alpha", "1:1:beta", "2:1:gamma");

        write(v1); // a replay
        assertThat(chunks()).containsExactly("0:1:alpha", "1:1:beta", "2:1:gamma");

        // v2: chunk 1 edited, 0 and 2 unchanged (only re-stamped), 3 new
        DocumentUpdate v2 =
                new DocumentUpdate(
                        "t",
                        "d",
                        2,
                        false,
                        "{\"v\":2}",
                        List.of(
                                unchanged(0, "alpha"),
                                changed(1, "beta, edited"),
                                unchanged(2, "gamma"),
                                changed(3, "delta")));
        DocumentWriter.Counts counts = write(v2);
        assertThat(counts.rowsUpserted()).isEqualTo(2);
        assertThat(counts.missingChunks()).isZero();
        assertThat(chunks())
                .containsExactly("0:2:alpha", "1:2:beta, edited", "2:2:gamma", "3:2:delta");
        assertThat(metadataOf(0)).isEqualTo("{\"v\": 2}");

        DocumentWriter.Counts late = write(v1); // late and older: nothing changes
        assertThat(late.staleDocuments()).isEqualTo(1);
        assertThat(chunks())
                .containsExactly("0:2:alpha", "1:2:beta, edited", "2:2:gamma", "3:2:delta");

        // v3 shrinks to two chunks
        write(
                new DocumentUpdate(
                        "t",
                        "d",
                        3,
                        false,
                        "{}",
                        List.of(unchanged(0, "alpha"), unchanged(1, "beta, edited"))));
        assertThat(chunks()).containsExactly("0:3:alpha", "1:3:beta, edited");

        DocumentWriter.Counts deleted = write(DocumentUpdate.delete("t", "d", 4));
        assertThat(deleted.rowsDeleted()).isEqualTo(2);
        assertThat(chunks()).isEmpty();
        assertThat(document()).isEqualTo("4:0:true");

        write(v2); // an old version after the delete does not bring the document back
        assertThat(chunks()).isEmpty();
        assertThat(document()).isEqualTo("4:0:true");

        write(upsert(5, "reborn")); // re-created with a newer version
        assertThat(chunks()).containsExactly("0:5:reborn");
        assertThat(document()).isEqualTo("5:1:false");
    }

    @Test
    void updatesOfOneDocumentInOneBatchApplyInOrder() throws Exception {
        write(
                upsert(1, "one", "two"),
                new DocumentUpdate(
                        "t",
                        "d",
                        2,
                        false,
                        "{}",
                        List.of(unchanged(0, "one"), changed(1, "two v2"))),
                DocumentUpdate.delete("t", "d", 3),
                upsert(4, "four"));
        assertThat(chunks()).containsExactly("0:4:four");
        assertThat(DocumentWriter.rounds(List.of(upsert(1, "a"), upsert(2, "b"), upsert(3, "c"))))
                .hasSize(3);
    }

    @Test
    void aChunkTheBackendRejectedKeepsItsStoredRowAndTheRestIsWritten() throws Exception {
        write(upsert(1, "alpha", "beta", "gamma"));
        ChunkRow rejected =
                new ChunkRow(
                        1, "beta, now poison", DocumentChunker.sha256("beta, now poison"), null);
        write(
                new DocumentUpdate(
                        "t",
                        "d",
                        2,
                        false,
                        "{}",
                        List.of(unchanged(0, "alpha"), rejected, changed(2, "gamma v2"))));
        assertThat(chunks()).containsExactly("0:2:alpha", "1:1:beta", "2:2:gamma v2");
        assertThat(document()).isEqualTo("2:3:false");
    }

    @Test
    void atEqualVersionsADeleteWinsWhicheverArrivesFirst() throws Exception {
        write(upsert(2, "alpha"));
        write(DocumentUpdate.delete("t", "d", 2));
        assertThat(document()).isEqualTo("2:0:true");

        DocumentWriter.Counts replay = write(upsert(2, "alpha"));
        assertThat(replay.staleDocuments()).isEqualTo(1);
        assertThat(chunks()).isEmpty();
        assertThat(document()).isEqualTo("2:0:true");

        write(upsert(3, "alpha"));
        assertThat(chunks()).containsExactly("0:3:alpha");
    }

    @Test
    void aDeleteOfUnknownVersionDeletesTheStoredVersionAndInventsNone() throws Exception {
        write(upsert(7, "alpha", "beta"));
        DocumentUpdate tombstone = DocumentUpdate.delete("t", "d", DocumentUpdate.VERSION_UNKNOWN);

        DocumentWriter.Counts counts = write(tombstone);
        assertThat(counts.applied()).extracting(DocumentUpdate::version).containsExactly(7L);
        assertThat(counts.rowsDeleted()).isEqualTo(2);
        assertThat(document()).isEqualTo("7:0:true");

        assertThat(write(tombstone).staleDocuments())
                .as("nothing live left to delete")
                .isEqualTo(1);
        assertThat(write(upsert(7, "alpha")).staleDocuments())
                .as("a replay of the deleted version")
                .isEqualTo(1);
        write(upsert(8, "again"));
        assertThat(chunks()).containsExactly("0:8:again");
        assertThat(document()).isEqualTo("8:1:false");
    }

    @Test
    void aDeleteOfUnknownVersionOfADocumentNeverStoredWritesNothing() throws Exception {
        DocumentWriter.Counts counts =
                write(DocumentUpdate.delete("t", "d", DocumentUpdate.VERSION_UNKNOWN));
        assertThat(counts.applied()).isEmpty();
        write(upsert(0, "first"));
        assertThat(chunks()).containsExactly("0:0:first");
    }

    @Test
    void keepingTheStoredChunksRestampsThemWithTheNewVersionAndMetadata() throws Exception {
        write(upsert(1, "alpha", "beta"));
        DocumentUpdate unchangedText = keepStoredChunks(5, "{\"v\":5}");

        assertThat(write(unchangedText).applied()).hasSize(1);
        assertThat(chunks()).containsExactly("0:5:alpha", "1:5:beta");
        assertThat(metadataOf(1)).isEqualTo("{\"v\": 5}");
        assertThat(document()).isEqualTo("5:2:false");

        assertThat(write(unchangedText.withVersion(4)).staleDocuments()).as("older").isEqualTo(1);
        write(DocumentUpdate.delete("t", "d", 6));
        assertThat(write(unchangedText.withVersion(6)).staleDocuments())
                .as("its delete wins")
                .isEqualTo(1);
        DocumentWriter.Counts afterDelete = write(unchangedText.withVersion(7));
        assertThat(afterDelete.textUnavailable()).as("no live text to keep").isEqualTo(1);
        assertThat(afterDelete.staleDocuments()).isZero();
        assertThat(afterDelete.firstWithoutText()).isEqualTo(unchangedText.withVersion(7));
        assertThat(document()).isEqualTo("6:0:true");
    }

    @Test
    void keepingTheStoredChunksOfADocumentNeverStoredIsCountedAsWithoutText() throws Exception {
        // Debezium's update of a TOASTed row whose insert the topic no longer holds
        DocumentWriter.Counts counts = write(keepStoredChunks(3, "{}"));

        assertThat(counts.textUnavailable()).isEqualTo(1);
        assertThat(counts.staleDocuments()).isZero();
        assertThat(counts.applied()).isEmpty();
        assertThat(chunks()).isEmpty();
    }

    /** What a Debezium update without its TOASTed text becomes. */
    private static DocumentUpdate keepStoredChunks(long version, String metadata) {
        return new DocumentUpdate(
                "t",
                "d",
                version,
                false,
                metadata,
                List.of(),
                DocumentUpdate.Kind.KEEP_STORED_CHUNKS,
                "cdc");
    }

    @Test
    void anUnchangedChunkMissingFromTheTableIsCounted() throws Exception {
        DocumentWriter.Counts counts =
                write(
                        new DocumentUpdate(
                                "t", "d", 1, false, "{}", List.of(unchanged(0, "never written"))));
        assertThat(counts.missingChunks()).isEqualTo(1);
    }

    @Test
    void aTruncateDeletesWhatItsTopicWroteBeforeItAndNothingElse() throws Exception {
        write(
                fromTopic(upsert(5, "articles row"), "app.public.articles"),
                fromTopic(
                        new DocumentUpdate(
                                "t", "later", 20, false, "{}", List.of(changed(0, "later row"))),
                        "app.public.articles"),
                fromTopic(
                        new DocumentUpdate(
                                "t", "other", 5, false, "{}", List.of(changed(0, "other topic"))),
                        "docs"));

        DocumentWriter.Counts counts = write(DocumentUpdate.truncate("app.public.articles", 10));

        assertThat(counts.rowsDeleted()).isEqualTo(1);
        assertThat(counts.applied()).as("a truncate announces no document").isEmpty();
        assertThat(
                        TestServices.rows(
                                "SELECT doc_id || ':' || version || ':' || deleted FROM \""
                                        + services.documentsTable
                                        + "\" WHERE tenant <> '' ORDER BY doc_id"))
                .containsExactly("d:10:true", "later:20:false", "other:5:false");
        DocumentUpdate lateInsert =
                fromTopic(
                        new DocumentUpdate(
                                "t", "late", 7, false, "{}", List.of(changed(0, "late"))),
                        "app.public.articles");
        assertThat(write(lateInsert).staleDocuments())
                .as("an insert older than the truncate, arriving after it")
                .isEqualTo(1);
        write(fromTopic(upsert(11, "re-inserted"), "app.public.articles"));
        assertThat(chunks()).contains("0:11:re-inserted");
    }

    @Test
    void aDocumentsTableFromBeforeSourceTopicsGetsTheColumn() throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            st.execute("ALTER TABLE \"" + services.documentsTable + "\" DROP COLUMN source_topic");
            schema.create(c, 16, 64);
        }
        write(fromTopic(upsert(1, "x"), "docs"));
        assertThat(
                        TestServices.rows(
                                "SELECT source_topic FROM \"" + services.documentsTable + "\""))
                .containsExactly("docs");
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void eachQuantizationCreatesItsColumnTypeAndStoresTheVector(Quantization q) throws Exception {
        services.dropTables();
        useQuantization(q);
        write(upsert(1, "x"));
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '\""
                                        + services.chunksTable
                                        + "\"'::regclass AND attname = 'embedding'")) {
            rs.next();
            assertThat(rs.getString(1))
                    .isEqualTo(q == Quantization.INT8 ? "bytea" : q.embeddingType() + "(8)");
            schema.checkQuantization(c); // and the table reads as made for this mode
        }
        assertThat(chunks()).containsExactly("0:1:x");
    }

    private DocumentWriter.Counts write(DocumentUpdate... updates) throws Exception {
        try (Connection c = TestServices.connect()) {
            c.setAutoCommit(false);
            DocumentWriter.Counts counts = writer.write(c, List.of(updates));
            c.commit();
            return counts;
        }
    }

    private static DocumentUpdate upsert(long version, String... texts) {
        List<ChunkRow> rows = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            rows.add(changed(i, texts[i]));
        }
        return new DocumentUpdate("t", "d", version, false, "{}", rows);
    }

    private static DocumentUpdate fromTopic(DocumentUpdate u, String topic) {
        return new DocumentUpdate(
                u.tenant(),
                u.docId(),
                u.version(),
                u.deleted(),
                u.metadata(),
                u.chunks(),
                u.kind(),
                topic);
    }

    private static ChunkRow changed(int no, String text) {
        return new ChunkRow(
                no,
                text,
                DocumentChunker.sha256(text),
                Vectors.randomUnit(new Random(text.hashCode()), 8));
    }

    private static ChunkRow unchanged(int no, String text) {
        return new ChunkRow(no, null, DocumentChunker.sha256(text), null);
    }

    /** "chunk_no:version:content" for every chunk of the document, in chunk order. */
    private List<String> chunks() throws Exception {
        TreeMap<Integer, String> rows = new TreeMap<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT chunk_no, version, content FROM \""
                                        + services.chunksTable
                                        + "\"")) {
            while (rs.next()) {
                rows.put(rs.getInt(1), rs.getInt(1) + ":" + rs.getLong(2) + ":" + rs.getString(3));
            }
        }
        return List.copyOf(rows.values());
    }

    private String metadataOf(int chunkNo) throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT metadata::text FROM \""
                                        + services.chunksTable
                                        + "\" WHERE chunk_no = "
                                        + chunkNo)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** "version:chunk_count:deleted". */
    private String document() throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT version, chunk_count, deleted FROM \""
                                        + services.documentsTable
                                        + "\"")) {
            rs.next();
            return rs.getLong(1) + ":" + rs.getInt(2) + ":" + rs.getBoolean(3);
        }
    }
}
