package io.ragstream.chunk;

import io.ragstream.config.ConfigException;
import io.ragstream.config.StoredIndex;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.ingest.DocumentEvent.Op;
import io.ragstream.testing.CapturedMetrics;
import io.ragstream.testing.KeyedBroadcastHarness;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DocumentChunker} driven through a real keyed operator harness: keyed state, snapshots and
 * metrics are Flink's own. Chunks are measured in whitespace-separated words, at most {@value
 * #MAX_TOKENS} per chunk, and every paragraph below is exactly that long, so each paragraph is one
 * chunk and the expected chunk texts are the paragraphs themselves.
 */
class DocumentChunkerTest {

    private static final int MAX_TOKENS = 5;
    private static final TokenCounter WORDS =
            text -> text.isBlank() ? 0 : text.strip().split("\\s+").length;
    private static final Chunker CHUNKER = new Chunker(MAX_TOKENS, WORDS);
    private static final Duration DELETED_RETENTION = Duration.ofMinutes(10);
    private static final StoredIndex INDEX =
            new StoredIndex(
                    "ragstream", "kb_documents", "kb_chunks", "all-MiniLM-L6-v2", "float16");

    private static final String TENANT = "acme";
    private static final String DOC = "doc-1";

    private ChunkerHarness harness;

    @BeforeEach
    void open() throws Exception {
        harness = new ChunkerHarness(null);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    // ---------------------------------------------------------------- first version, edits

    @Test
    void firstVersionSendsEveryChunkWithItsText() throws Exception {
        List<String> paragraphs = paragraphs("a", "b", "c", "d");

        DocumentUpdate update = harness.single(upsert(1L, paragraphs));

        assertThat(update.tenant()).isEqualTo(TENANT);
        assertThat(update.docId()).isEqualTo(DOC);
        assertThat(update.key()).isEqualTo(TENANT + "/" + DOC);
        assertThat(update.version()).isEqualTo(1L);
        assertThat(update.deleted()).isFalse();
        assertThat(update.metadata()).isEqualTo("{\"source\":\"test\"}");
        assertThat(update.chunkCount()).isEqualTo(4);
        assertThat(update.changedChunks()).isEqualTo(4);
        assertThat(chunkNumbers(update)).containsExactly(0, 1, 2, 3);
        assertThat(texts(update)).containsExactlyElementsOf(paragraphs);
        for (ChunkRow chunk : update.chunks()) {
            assertThat(chunk.changed()).isTrue();
            assertThat(chunk.sha256()).isEqualTo(DocumentChunker.sha256(chunk.text()));
            assertThat(chunk.embedding()).isNull();
        }
        assertThat(harness.counter("chunksReused")).isZero();
    }

    @Test
    void editingOneParagraphSendsOnlyThatChunksText() throws Exception {
        List<String> v1 = paragraphs("a", "b", "c", "d");
        List<String> v2 = new ArrayList<>(v1);
        v2.set(2, paragraph("c-edited"));
        harness.single(upsert(1L, v1));

        DocumentUpdate update = harness.single(upsert(2L, v2));

        assertThat(update.version()).isEqualTo(2L);
        assertThat(update.chunkCount()).isEqualTo(4);
        assertThat(update.changedChunks()).isEqualTo(1);
        assertThat(changedChunkNumbers(update)).containsExactly(2);
        assertThat(update.chunks().get(2).text()).isEqualTo(v2.get(2));
        for (int i : List.of(0, 1, 3)) {
            ChunkRow unchanged = update.chunks().get(i);
            assertThat(unchanged.chunkNo()).isEqualTo(i);
            assertThat(unchanged.text()).as("chunk %d is unchanged: no text to embed", i).isNull();
            assertThat(unchanged.sha256()).isEqualTo(DocumentChunker.sha256(v1.get(i)));
        }
        assertThat(update.chunks().get(2).sha256()).isEqualTo(DocumentChunker.sha256(v2.get(2)));
        assertThat(harness.counter("chunksReused")).isEqualTo(3);
    }

    @Test
    void insertingAParagraphReEmbedsEveryChunkFromThatPositionOn() throws Exception {
        // Chunks are compared by position (chunk i of the new version against chunk i held):
        // everything after the insertion point moves one position and counts as changed.
        List<String> v1 = paragraphs("a", "b", "c", "d");
        List<String> v2 = new ArrayList<>(v1);
        v2.add(2, paragraph("new"));
        harness.single(upsert(1L, v1));

        DocumentUpdate update = harness.single(upsert(2L, v2));

        assertThat(update.chunkCount()).isEqualTo(5);
        assertThat(unchangedChunkNumbers(update)).containsExactly(0, 1);
        assertThat(changedChunkNumbers(update)).containsExactly(2, 3, 4);
        assertThat(update.chunks().subList(2, 5))
                .extracting(ChunkRow::text)
                .containsExactly(paragraph("new"), paragraph("c"), paragraph("d"));
        assertThat(harness.counter("chunksReused")).isEqualTo(2);
    }

    @Test
    void appendingAParagraphSendsOnlyTheNewLastChunk() throws Exception {
        List<String> v1 = paragraphs("a", "b", "c");
        harness.single(upsert(1L, v1));

        DocumentUpdate update = harness.single(upsert(2L, paragraphs("a", "b", "c", "d")));

        assertThat(update.chunkCount()).isEqualTo(4);
        assertThat(unchangedChunkNumbers(update)).containsExactly(0, 1, 2);
        assertThat(changedChunkNumbers(update)).containsExactly(3);
        assertThat(update.chunks().get(3).text()).isEqualTo(paragraph("d"));
    }

    @Test
    void truncatingLowersTheChunkCountAndAChunkAddedBackIsSentAgain() throws Exception {
        harness.single(upsert(1L, paragraphs("a", "b", "c", "d")));

        DocumentUpdate truncated = harness.single(upsert(2L, paragraphs("a", "b")));

        // the chunk count tells the sink to delete chunks 2 and 3; the kept ones are only
        // re-stamped
        assertThat(truncated.chunkCount()).isEqualTo(2);
        assertThat(truncated.changedChunks()).isZero();
        assertThat(truncated.chunks()).extracting(ChunkRow::chunkNo).containsExactly(0, 1);

        // chunk 2's row was deleted with version 2, so bringing its text back must write it again
        DocumentUpdate extended = harness.single(upsert(3L, paragraphs("a", "b", "c")));
        assertThat(extended.chunkCount()).isEqualTo(3);
        assertThat(changedChunkNumbers(extended)).containsExactly(2);
        assertThat(extended.chunks().get(2).text()).isEqualTo(paragraph("c"));
    }

    // ---------------------------------------------------------------- deletes

    @Test
    void deleteEmitsADeletedUpdateWithoutChunks() throws Exception {
        harness.single(upsert(1L, paragraphs("a", "b")));

        DocumentUpdate deleted = harness.single(delete(2L));

        assertThat(deleted.tenant()).isEqualTo(TENANT);
        assertThat(deleted.docId()).isEqualTo(DOC);
        assertThat(deleted.version()).isEqualTo(2L);
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.chunks()).isEmpty();
        assertThat(deleted.chunkCount()).isZero();
        assertThat(deleted.changedChunks()).isZero();

        // the same delete again (a replay) changes nothing
        assertThat(harness.process(delete(2L))).isEmpty();
        // an upsert older than the delete is stale
        assertThat(harness.process(upsert(1L, paragraphs("a", "b")))).isEmpty();
    }

    @Test
    void aDeletedDocumentIsForgottenAfterTheRetentionUnlessRecreated() throws Exception {
        harness.single(upsert(1L, paragraphs("a", "b")));
        harness.single(delete(2L));
        assertThat(harness.harness.numKeyedStateEntries()).isEqualTo(1);

        harness.harness.setProcessingTime(DELETED_RETENTION.toMillis() + 1);
        assertThat(harness.harness.numKeyedStateEntries())
                .as("state of the deleted document")
                .isZero();

        // what the job no longer remembers, the documents table still guards: a late version 1
        // goes on to the sink, which turns it away because the row holds the delete at version 2
        assertThat(harness.single(upsert(1L, paragraphs("a", "b"))).version()).isEqualTo(1L);
    }

    @Test
    void aRecreatedDocumentKeepsItsStateWhenTheDeleteTimerFires() throws Exception {
        harness.single(delete(1L));
        harness.single(upsert(2L, paragraphs("a")));
        harness.harness.setProcessingTime(DELETED_RETENTION.toMillis() + 1);
        assertThat(harness.process(upsert(2L, paragraphs("a")))).as("still a duplicate").isEmpty();
    }

    @Test
    void deleteOfADocumentNeverSeenIsStillPassedOn() throws Exception {
        // the job may have started after the document was written: the sink must still delete it
        DocumentUpdate deleted = harness.single(delete(9L));

        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.version()).isEqualTo(9L);
        assertThat(deleted.chunks()).isEmpty();
    }

    @Test
    void recreatingAfterADeleteSendsEveryChunkAgain() throws Exception {
        List<String> paragraphs = paragraphs("a", "b", "c");
        harness.single(upsert(1L, paragraphs));
        harness.single(delete(2L));

        DocumentUpdate recreated = harness.single(upsert(3L, paragraphs));

        assertThat(recreated.deleted()).isFalse();
        assertThat(recreated.version()).isEqualTo(3L);
        assertThat(recreated.chunkCount()).isEqualTo(3);
        assertThat(recreated.changedChunks()).isEqualTo(3);
        assertThat(texts(recreated)).containsExactlyElementsOf(paragraphs);
    }

    // ---------------------------------------------------------------- ordering, repeats

    @Test
    void anEventOlderThanTheHeldVersionChangesNothing() throws Exception {
        harness.single(upsert(5L, paragraphs("a", "b")));

        assertThat(harness.process(upsert(4L, paragraphs("x", "y")))).isEmpty();
        assertThat(harness.process(delete(3L))).isEmpty();
        assertThat(harness.counter("staleEvents")).isEqualTo(2);

        // the held version is still 5: a newer edit is compared against version 5's chunks
        DocumentUpdate next = harness.single(upsert(6L, paragraphs("a", "z")));
        assertThat(unchangedChunkNumbers(next)).containsExactly(0);
        assertThat(changedChunkNumbers(next)).containsExactly(1);
    }

    @Test
    void theSameVersionWithTheSameTextAgainChangesNothing() throws Exception {
        DocumentEvent event = upsert(3L, paragraphs("a", "b", "c"));
        harness.single(event);

        assertThat(harness.process(event)).isEmpty();
        assertThat(harness.process(upsert(3L, paragraphs("a", "b", "c")))).isEmpty();
    }

    @Test
    void anEventWithoutAVersionComesAfterWhatIsHeld() throws Exception {
        // nothing held: version 0
        DocumentUpdate first = harness.single(upsert(null, paragraphs("a", "b")));
        assertThat(first.version()).isZero();
        assertThat(first.changedChunks()).isEqualTo(2);

        // held 0: version 1, compared against version 0's chunks
        DocumentUpdate second = harness.single(upsert(null, paragraphs("a", "c")));
        assertThat(second.version()).isEqualTo(1L);
        assertThat(changedChunkNumbers(second)).containsExactly(1);

        // after an explicit version, a versionless event is that version + 1
        harness.single(upsert(10L, paragraphs("a", "c")));
        DocumentUpdate afterExplicit = harness.single(upsert(null, paragraphs("a", "d")));
        assertThat(afterExplicit.version()).isEqualTo(11L);

        // a versionless delete deletes the version held, and invents none
        DocumentUpdate deleted = harness.single(delete(null));
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.version()).isEqualTo(11L);
    }

    @Test
    void aVersionlessRepublishOfTheSameTextIsANewVersionWithNothingToEmbed() throws Exception {
        harness.single(upsert(null, paragraphs("a", "b")));

        DocumentUpdate again = harness.single(upsert(null, paragraphs("a", "b")));

        assertThat(again.version()).isEqualTo(1L);
        assertThat(again.chunkCount()).isEqualTo(2);
        assertThat(again.changedChunks()).isZero();
    }

    @Test
    void documentsAreKeptApartByTenantAndId() throws Exception {
        List<String> paragraphs = paragraphs("a", "b");
        harness.single(upsert(1L, paragraphs));

        // same id and text in another tenant, and another id in the same tenant: nothing held for
        // them
        DocumentUpdate otherTenant =
                harness.single(
                        new DocumentEvent(
                                "other",
                                DOC,
                                1L,
                                Op.UPSERT,
                                null,
                                String.join("\n\n", paragraphs),
                                "{}"));
        DocumentUpdate otherDoc =
                harness.single(
                        new DocumentEvent(
                                TENANT,
                                "doc-2",
                                1L,
                                Op.UPSERT,
                                null,
                                String.join("\n\n", paragraphs),
                                "{}"));

        assertThat(otherTenant.key()).isEqualTo("other/" + DOC);
        assertThat(otherTenant.changedChunks()).isEqualTo(2);
        assertThat(otherDoc.key()).isEqualTo(TENANT + "/doc-2");
        assertThat(otherDoc.changedChunks()).isEqualTo(2);
        assertThat(harness.harness.numKeyedStateEntries()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- state across a restore

    @Test
    void heldChunksSurviveASnapshotAndRestore() throws Exception {
        List<String> paragraphs = paragraphs("a", "b", "c", "d");
        harness.single(upsert(1L, paragraphs));
        OperatorSubtaskState snapshot = harness.harness.snapshot(0L, 0L);
        harness.close();

        harness = new ChunkerHarness(snapshot);

        // an unchanged re-publish with a newer version: every chunk reused, nothing to embed
        DocumentUpdate republished = harness.single(upsert(2L, paragraphs));
        assertThat(republished.version()).isEqualTo(2L);
        assertThat(republished.chunkCount()).isEqualTo(4);
        assertThat(republished.changedChunks()).isZero();
        assertThat(republished.chunks())
                .allSatisfy(
                        chunk -> {
                            assertThat(chunk.text()).isNull();
                            assertThat(chunk.sha256())
                                    .isEqualTo(
                                            DocumentChunker.sha256(
                                                    paragraphs.get(chunk.chunkNo())));
                        });
        assertThat(harness.counter("chunksReused")).isEqualTo(4);

        // the held version survived too: a replay of an older or the same version is dropped
        assertThat(harness.process(upsert(1L, paragraphs))).isEmpty();
        assertThat(harness.process(upsert(2L, paragraphs))).isEmpty();
    }

    @Test
    void restoredWithAnotherChunkSizeADocumentIsCutAnewWhenItsVersionComesAgain() throws Exception {
        List<String> paragraphs = paragraphs("a", "b", "c", "d");
        harness.single(upsert(1L, paragraphs));
        OperatorSubtaskState snapshot = harness.harness.snapshot(0L, 0L);
        harness.close();

        harness = new ChunkerHarness(snapshot, INDEX, new Chunker(2 * MAX_TOKENS, WORDS));

        // the same version again (a producer re-sending): cut anew at the same version, which
        // the sink's guards apply, and every chunk text is new
        DocumentUpdate recut = harness.single(upsert(1L, paragraphs));
        assertThat(recut.version()).isEqualTo(1L);
        assertThat(texts(recut))
                .containsExactly(
                        paragraphs.get(0) + "\n\n" + paragraphs.get(1),
                        paragraphs.get(2) + "\n\n" + paragraphs.get(3));
        assertThat(harness.process(upsert(1L, paragraphs))).as("then a repeat").isEmpty();
    }

    @Test
    void aDeleteSurvivesASnapshotAndRestore() throws Exception {
        List<String> paragraphs = paragraphs("a", "b");
        harness.single(upsert(1L, paragraphs));
        harness.single(delete(2L));
        OperatorSubtaskState snapshot = harness.harness.snapshot(0L, 0L);
        harness.close();

        harness = new ChunkerHarness(snapshot);

        assertThat(harness.process(delete(2L))).as("a replayed delete").isEmpty();
        assertThat(harness.process(upsert(1L, paragraphs))).as("a replayed older upsert").isEmpty();
        DocumentUpdate recreated = harness.single(upsert(3L, paragraphs));
        assertThat(recreated.changedChunks()).isEqualTo(2);
    }

    @Test
    void stateRestoredIntoAnotherIndexFailsTheJobForGoodNamingTheSetting() throws Exception {
        harness.single(upsert(1L, paragraphs("a", "b")));
        OperatorSubtaskState snapshot = harness.harness.snapshot(0L, 0L);
        harness.close();

        StoredIndex moved =
                new StoredIndex(
                        "ragstream", "kb_documents", "kb_int8_chunks", INDEX.model(), "int8");
        assertThatThrownBy(() -> new ChunkerHarness(snapshot, moved))
                .isInstanceOf(SuppressRestartsException.class) // a restart restores it again
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.chunks-table'")
                .hasMessageContaining("postgres.chunks-table 'kb_chunks' -> 'kb_int8_chunks'")
                .hasMessageContaining("quantization 'float16' -> 'int8'");

        // into the same index it resumes, and its next snapshot names the index again
        harness = new ChunkerHarness(snapshot, INDEX);
        assertThat(harness.process(upsert(1L, paragraphs("a", "b")))).isEmpty();
        OperatorSubtaskState again = harness.harness.snapshot(1L, 1L);
        harness.close();
        harness = new ChunkerHarness(again, INDEX);
        assertThat(harness.single(upsert(2L, paragraphs("a", "c"))).changedChunks()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- versions and deletes
    // (DESIGN.md)

    @Test
    void aTombstoneBetweenVersionsDeletesTheHeldVersionAndALaterVersionRecreates()
            throws Exception {
        harness.single(upsert(1L, paragraphs("a")));
        harness.single(upsert(2L, paragraphs("b")));

        DocumentUpdate tombstone = harness.single(delete(null));
        assertThat(tombstone.deleted()).isTrue();
        assertThat(tombstone.version()).as("the newest version known, none invented").isEqualTo(2L);

        DocumentUpdate recreated = harness.single(upsert(3L, paragraphs("b")));
        assertThat(recreated.deleted()).isFalse();
        assertThat(recreated.version()).isEqualTo(3L);
        assertThat(recreated.changedChunks())
                .as("a re-created document is written whole")
                .isEqualTo(1);
    }

    @Test
    void aReplayOfTheDeletedVersionStaysDeletedWhicheverArrivesFirst() throws Exception {
        harness.single(upsert(2L, paragraphs("a")));
        harness.single(delete(null));
        assertThat(harness.process(upsert(2L, paragraphs("a"))))
                .as("upsert v2 after its delete")
                .isEmpty();
        assertThat(harness.process(upsert(1L, paragraphs("a")))).as("an older one").isEmpty();

        harness.close();
        harness = new ChunkerHarness(null);
        harness.single(upsert(2L, paragraphs("a")));
        DocumentUpdate delete = harness.single(delete(2L));
        assertThat(delete.deleted()).as("a delete at the held version wins").isTrue();
        assertThat(harness.counter("staleEvents")).isZero();
    }

    @Test
    void aDebeziumDeleteTombstoneAndReinsertLeaveTheNewRowLive() throws Exception {
        long insertLsn = 24_023_128L, deleteLsn = 24_023_512L, reinsertLsn = 24_023_896L;
        harness.single(upsert(insertLsn, paragraphs("a")));

        assertThat(harness.single(delete(deleteLsn)).version()).isEqualTo(deleteLsn);
        assertThat(harness.process(delete(null))).as("the tombstone after the delete").isEmpty();
        DocumentUpdate reinserted = harness.single(upsert(reinsertLsn, paragraphs("a")));

        assertThat(reinserted.deleted()).isFalse();
        assertThat(reinserted.version()).isEqualTo(reinsertLsn);
    }

    @Test
    void aVersionlessDeleteWithNothingHeldLeavesTheVersionToTheTable() throws Exception {
        DocumentUpdate delete = harness.single(delete(null));
        assertThat(delete.deleted()).isTrue();
        assertThat(delete.versionKnown()).isFalse();

        assertThat(harness.process(delete(null))).as("a second tombstone").isEmpty();
        DocumentUpdate recreated = harness.single(upsert(3L, paragraphs("a")));
        assertThat(recreated.version()).as("the table decides whether 3 is newer").isEqualTo(3L);
    }

    @Test
    void aVersionlessUpsertTakesItsRecordTimestampWhenThatIsNewer() throws Exception {
        harness.single(upsert(5L, paragraphs("a")));
        DocumentUpdate later =
                harness.single(upsert(null, paragraphs("b")).from("topic", 1_700_000_000_000L));
        assertThat(later.version()).isEqualTo(1_700_000_000_000L);
        assertThat(later.sourceTopic()).isEqualTo("topic");

        harness.single(upsert(1_800_000_000_000L, paragraphs("c")));
        DocumentUpdate afterBigger =
                harness.single(upsert(null, paragraphs("d")).from("topic", 1_700_000_000_001L));
        assertThat(afterBigger.version())
                .as("never older than what is held")
                .isEqualTo(1_800_000_000_001L);
    }

    @Test
    void aKeepTextEventRestampsTheHeldChunksWithTheNewVersionAndMetadata() throws Exception {
        harness.single(upsert(1L, paragraphs("a", "b")));
        DocumentEvent unavailable =
                new DocumentEvent(TENANT, DOC, 2L, Op.KEEP_TEXT, null, null, "{\"m\":2}");

        DocumentUpdate restamp = harness.single(unavailable);

        assertThat(restamp.version()).isEqualTo(2L);
        assertThat(restamp.metadata()).isEqualTo("{\"m\":2}");
        assertThat(restamp.chunkCount()).isEqualTo(2);
        assertThat(restamp.changedChunks()).isZero();
        assertThat(restamp.keepsStoredChunks()).isFalse();
        assertThat(harness.single(upsert(3L, paragraphs("a", "c"))).changedChunks())
                .as("the held hashes survive the restamp")
                .isEqualTo(1);
    }

    @Test
    void aKeepTextEventWithNothingHeldLeavesTheStoredChunksToTheTable() throws Exception {
        DocumentUpdate restamp =
                harness.single(new DocumentEvent(TENANT, DOC, 2L, Op.KEEP_TEXT, null, null, "{}"));
        assertThat(restamp.keepsStoredChunks()).isTrue();
        assertThat(restamp.chunks()).isEmpty();
    }

    @Test
    void aTruncateForgetsTheDocumentsItsTopicWroteBeforeItAndGoesOnToTheSink() throws Exception {
        harness.single(upsert(5L, paragraphs("a")).from("app.public.articles", 0));
        DocumentEvent other =
                new DocumentEvent(TENANT, "other", 5L, Op.UPSERT, null, paragraph("b"), "{}")
                        .from("docs", 0);
        harness.single(other);
        harness.single(
                new DocumentEvent(TENANT, "later", 20L, Op.UPSERT, null, paragraph("c"), "{}")
                        .from("app.public.articles", 0));

        List<DocumentUpdate> out = harness.truncate("app.public.articles", 10L);

        assertThat(out)
                .singleElement()
                .satisfies(
                        truncate -> {
                            assertThat(truncate.truncatesTopic()).isTrue();
                            assertThat(truncate.sourceTopic()).isEqualTo("app.public.articles");
                            assertThat(truncate.version()).isEqualTo(10L);
                        });
        assertThat(harness.harness.numKeyedStateEntries())
                .as("the truncated document is forgotten")
                .isEqualTo(2);
        DocumentUpdate reinserted =
                harness.single(upsert(11L, paragraphs("a")).from("app.public.articles", 0));
        assertThat(reinserted.changedChunks())
                .as("re-inserted after the truncate: written whole")
                .isEqualTo(1);
        assertThat(harness.single(other.withVersion(6L)).changedChunks())
                .as("another topic's document is kept")
                .isZero();
    }

    @Test
    void anEventOlderThanATruncateThatCameFirstIsStale() throws Exception {
        harness.truncate("app.public.articles", 10L);

        assertThat(harness.process(upsert(9L, paragraphs("a")).from("app.public.articles", 0)))
                .isEmpty();
        assertThat(harness.counter("staleEvents")).isEqualTo(1);
        assertThat(harness.single(upsert(9L, paragraphs("a")).from("docs", 0)).version())
                .as("another topic")
                .isEqualTo(9L);
        assertThat(
                        harness.single(upsert(11L, paragraphs("a")).from("app.public.articles", 0))
                                .version())
                .isEqualTo(11L);
    }

    @Test
    void aChunkTextABackendRejectedIsEmbeddedAgainWhenTheDocumentIsRepublished() throws Exception {
        List<String> v1 = paragraphs("a", "poison", "c");
        harness.single(upsert(1L, v1));

        assertThat(
                        harness.process(
                                new DocumentEvent(
                                        TENANT,
                                        DOC,
                                        null,
                                        Op.UNSTORED_TEXT,
                                        null,
                                        v1.get(1),
                                        "{}")))
                .isEmpty();
        assertThat(harness.counter("rejectedChunksForgotten")).isEqualTo(1);

        DocumentUpdate republished = harness.single(upsert(2L, v1));
        assertThat(changedChunkNumbers(republished))
                .as("only the rejected chunk")
                .containsExactly(1);
        assertThat(
                        harness.process(
                                new DocumentEvent(
                                        TENANT,
                                        DOC,
                                        null,
                                        Op.UNSTORED_TEXT,
                                        null,
                                        paragraph("unknown"),
                                        "{}")))
                .isEmpty();
        assertThat(harness.counter("rejectedChunksForgotten"))
                .as("a text the document does not hold")
                .isEqualTo(1);
    }

    // ---------------------------------------------------------------- helpers

    /** A paragraph of exactly {@link #MAX_TOKENS} words, distinct per name. */
    private static String paragraph(String name) {
        return IntStream.rangeClosed(1, MAX_TOKENS)
                .mapToObj(i -> name + "w" + i)
                .collect(Collectors.joining(" "));
    }

    private static List<String> paragraphs(String... names) {
        return java.util.Arrays.stream(names).map(DocumentChunkerTest::paragraph).toList();
    }

    private static DocumentEvent upsert(Long version, List<String> paragraphs) {
        return new DocumentEvent(
                TENANT,
                DOC,
                version,
                Op.UPSERT,
                null,
                String.join("\n\n", paragraphs),
                "{\"source\":\"test\"}");
    }

    private static DocumentEvent delete(Long version) {
        return new DocumentEvent(TENANT, DOC, version, Op.DELETE, null, null, "{}");
    }

    private static List<Integer> chunkNumbers(DocumentUpdate update) {
        return update.chunks().stream().map(ChunkRow::chunkNo).toList();
    }

    private static List<String> texts(DocumentUpdate update) {
        return update.chunks().stream().map(ChunkRow::text).toList();
    }

    private static List<Integer> changedChunkNumbers(DocumentUpdate update) {
        return update.chunks().stream().filter(ChunkRow::changed).map(ChunkRow::chunkNo).toList();
    }

    private static List<Integer> unchangedChunkNumbers(DocumentUpdate update) {
        return update.chunks().stream().filter(c -> !c.changed()).map(ChunkRow::chunkNo).toList();
    }

    /**
     * The operator in a keyed harness whose task metric group reports to a registry we can read, so
     * the {@code ragstream.*} counters the operator registers are visible to the test.
     */
    private static final class ChunkerHarness implements AutoCloseable {
        final KeyedBroadcastHarness<String, DocumentEvent, DocumentEvent, DocumentUpdate> harness;
        private final CapturedMetrics metrics = new CapturedMetrics("chunk");
        private long timestamp;

        ChunkerHarness(OperatorSubtaskState restoreFrom) throws Exception {
            this(restoreFrom, INDEX);
        }

        ChunkerHarness(OperatorSubtaskState restoreFrom, StoredIndex index) throws Exception {
            this(restoreFrom, index, CHUNKER);
        }

        ChunkerHarness(OperatorSubtaskState restoreFrom, StoredIndex index, Chunker chunker)
                throws Exception {
            harness =
                    new KeyedBroadcastHarness<>(
                            new DocumentChunker(chunker, DELETED_RETENTION, index),
                            DocumentEvent::key,
                            Types.STRING,
                            metrics.environment(),
                            DocumentChunker.TRUNCATES);
            if (restoreFrom != null) {
                harness.initializeState(restoreFrom);
            }
            harness.open();
        }

        /** Processes one event and returns (and forgets) what it emitted. */
        List<DocumentUpdate> process(DocumentEvent event) throws Exception {
            harness.processElement(event, ++timestamp);
            List<DocumentUpdate> out = harness.extractOutputValues();
            harness.getOutput().clear();
            return out;
        }

        List<DocumentUpdate> truncate(String topic, long version) throws Exception {
            harness.processBroadcastElement(
                    new DocumentEvent("", "", version, Op.TRUNCATE, null, null, "{}")
                            .from(topic, 0),
                    ++timestamp);
            List<DocumentUpdate> out = harness.extractOutputValues();
            harness.getOutput().clear();
            return out;
        }

        DocumentUpdate single(DocumentEvent event) throws Exception {
            List<DocumentUpdate> out = process(event);
            assertThat(out).as("output of %s", event).hasSize(1);
            return out.get(0);
        }

        long counter(String name) {
            return metrics.counter(name);
        }

        @Override
        public void close() throws Exception {
            harness.close();
            metrics.environment().close();
        }
    }
}
