package io.ragstream.embed;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MicroBatchOperator} in a real operator harness with Flink's test processing-time service.
 */
class MicroBatchOperatorTest {

    private static final int BATCH_SIZE = 4;
    private static final long LINGER_MS = 100;

    private OneInputStreamOperatorTestHarness<DocumentUpdate, EmbeddingBatch> harness;

    @BeforeEach
    void open() throws Exception {
        harness = newHarness(null);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    @Test
    void emitsABatchAsSoonAsTheBufferedChangedChunksReachTheBatchSize() throws Exception {
        DocumentUpdate a = update("a", 2, 0);
        DocumentUpdate b = update("b", 1, 3); // unchanged chunks do not count
        DocumentUpdate c = update("c", 1, 0);

        harness.processElement(a, 0);
        harness.processElement(b, 0);
        assertThat(drain()).as("3 of 4 chunks buffered").isEmpty();

        harness.processElement(c, 0);
        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/a", "t/b", "t/c");
        assertThat(batches.get(0).chunksToEmbed()).isEqualTo(4);

        // the batch left nothing behind
        harness.prepareSnapshotPreBarrier(1);
        assertThat(drain()).isEmpty();
    }

    @Test
    void aDocumentWithMoreChangedChunksThanABatchIsEmittedAtOnceAndWhole() throws Exception {
        harness.processElement(update("big", 10, 0), 0);

        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).documents()).hasSize(1);
        assertThat(batches.get(0).chunksToEmbed()).isEqualTo(10);
    }

    @Test
    void aPartialBatchIsEmittedOnceItsFirstUpdateHasWaitedTheLinger() throws Exception {
        harness.setProcessingTime(1_000);
        harness.processElement(update("a", 1, 0), 0);
        harness.setProcessingTime(1_050);
        harness.processElement(update("b", 1, 0), 0);

        harness.setProcessingTime(1_000 + LINGER_MS - 1);
        assertThat(drain()).isEmpty();

        harness.setProcessingTime(1_000 + LINGER_MS);
        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/a", "t/b");

        // nothing buffered: later time passing emits nothing
        harness.setProcessingTime(5_000);
        assertThat(drain()).isEmpty();
    }

    @Test
    void theLingerOfABatchStartedAfterAFlushCountsFromItsOwnFirstUpdate() throws Exception {
        harness.setProcessingTime(0);
        harness.processElement(update("a", 1, 0), 0); // linger timer for t=100
        harness.setProcessingTime(10);
        harness.processElement(update("b", 3, 0), 0); // batch full at t=10
        assertThat(drain()).hasSize(1);

        harness.setProcessingTime(60);
        harness.processElement(update("c", 1, 0), 0); // new batch: due at t=160

        harness.setProcessingTime(100); // the first timer fires, but c has waited only 40 ms
        assertThat(drain()).isEmpty();
        assertThat(harness.getProcessingTimeService().getActiveTimerTimestamps())
                .containsExactly(160L);

        harness.setProcessingTime(159);
        assertThat(drain()).isEmpty();

        harness.setProcessingTime(160);
        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/c");
    }

    @Test
    void theBufferIsEmittedBeforeACheckpointBarrierSoTheCheckpointHoldsNothing() throws Exception {
        harness.setProcessingTime(0);
        harness.processElement(update("a", 1, 0), 0);
        harness.processElement(update("b", 2, 0), 0);
        assertThat(drain()).isEmpty();

        harness.prepareSnapshotPreBarrier(1);
        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/a", "t/b");

        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        // restored from that checkpoint: nothing comes back out, old or new
        harness = newHarness(snapshot);
        harness.setProcessingTime(10_000);
        harness.endInput();
        assertThat(drain()).isEmpty();
        harness.processElement(update("c", 1, 0), 0);
        harness.prepareSnapshotPreBarrier(2);
        assertThat(drain())
                .singleElement()
                .satisfies(batch -> assertThat(keys(batch)).containsExactly("t/c"));
    }

    @Test
    void anUpdateWithNothingToEmbedPassesStraightThroughWhenTheBufferIsEmpty() throws Exception {
        DocumentUpdate unchanged = update("unchanged", 0, 3);
        DocumentUpdate deleted = DocumentUpdate.delete("t", "gone", 5);

        harness.processElement(unchanged, 0);
        harness.processElement(deleted, 0);

        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(2);
        assertThat(keys(batches.get(0))).containsExactly("t/unchanged");
        assertThat(batches.get(0).chunksToEmbed()).isZero();
        assertThat(keys(batches.get(1))).containsExactly("t/gone");
        assertThat(batches.get(1).documents().get(0).deleted()).isTrue();
        assertThat(harness.getProcessingTimeService().getNumActiveTimers())
                .as("nothing waits, so no linger timer")
                .isZero();
    }

    @Test
    void updatesKeepTheirOrderEvenWhenOneHasNothingToEmbed() throws Exception {
        // a delete or re-stamp of a document must not overtake an earlier change still buffered
        harness.setProcessingTime(0);
        harness.processElement(update("a", 1, 0), 0);
        harness.processElement(DocumentUpdate.delete("t", "a", 2), 0);
        harness.processElement(update("b", 0, 2), 0);
        harness.processElement(update("c", 2, 0), 0);
        assertThat(drain()).as("3 of 4 chunks buffered").isEmpty();
        harness.processElement(update("d", 1, 1), 0);

        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/a", "t/a", "t/b", "t/c", "t/d");
        assertThat(batches.get(0).documents())
                .extracting(DocumentUpdate::deleted)
                .containsExactly(false, true, false, false, false);
        assertThat(batches.get(0).chunksToEmbed()).isEqualTo(4);
    }

    @Test
    void batchesComeOutInTheOrderTheirUpdatesCameIn() throws Exception {
        harness.setProcessingTime(0);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            harness.processElement(update("d" + i, 1 + i % 3, i % 2), 0);
            expected.add("t/d" + i);
        }
        harness.setProcessingTime(LINGER_MS);

        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSizeGreaterThan(1);
        assertThat(batches.stream().flatMap(b -> keys(b).stream()).toList())
                .containsExactlyElementsOf(expected);
        for (EmbeddingBatch batch : batches.subList(0, batches.size() - 1)) {
            assertThat(batch.chunksToEmbed()).isGreaterThanOrEqualTo(BATCH_SIZE);
            int beforeLast =
                    batch.chunksToEmbed()
                            - batch.documents().get(batch.documents().size() - 1).changedChunks();
            assertThat(beforeLast)
                    .as("a full batch is emitted as soon as it is full")
                    .isLessThan(BATCH_SIZE);
        }
    }

    @Test
    void endOfInputFlushesThePartialBatch() throws Exception {
        harness.setProcessingTime(0);
        harness.processElement(update("a", 1, 0), 0);
        harness.processElement(update("b", 0, 1), 0);

        harness.endInput();

        List<EmbeddingBatch> batches = drain();
        assertThat(batches).hasSize(1);
        assertThat(keys(batches.get(0))).containsExactly("t/a", "t/b");
    }

    @Test
    void theEmittedBatchCarriesTheChunksUntouched() throws Exception {
        DocumentUpdate a = update("a", 2, 1);
        harness.processElement(a, 0);
        harness.endInput();

        DocumentUpdate out = drain().get(0).documents().get(0);
        assertThat(out.version()).isEqualTo(a.version());
        assertThat(out.metadata()).isEqualTo(a.metadata());
        assertThat(out.chunks()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(out.chunks().get(i).chunkNo()).isEqualTo(i);
            assertThat(out.chunks().get(i).text()).isEqualTo(a.chunks().get(i).text());
            assertThat(out.chunks().get(i).sha256()).isEqualTo(a.chunks().get(i).sha256());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static OneInputStreamOperatorTestHarness<DocumentUpdate, EmbeddingBatch> newHarness(
            OperatorSubtaskState restoreFrom) throws Exception {
        OneInputStreamOperatorTestHarness<DocumentUpdate, EmbeddingBatch> h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchOperator(BATCH_SIZE, LINGER_MS));
        if (restoreFrom != null) {
            h.initializeState(restoreFrom);
        }
        h.open();
        return h;
    }

    /**
     * An update of document {@code t/id}: {@code changed} chunks with text, then {@code unchanged}
     * without.
     */
    private static DocumentUpdate update(String id, int changed, int unchanged) {
        List<ChunkRow> chunks = new ArrayList<>();
        for (int i = 0; i < changed + unchanged; i++) {
            String text = id + " chunk " + i;
            chunks.add(
                    new ChunkRow(i, i < changed ? text : null, DocumentChunker.sha256(text), null));
        }
        return new DocumentUpdate("t", id, 1, false, "{\"id\":\"" + id + "\"}", chunks);
    }

    private List<EmbeddingBatch> drain() {
        List<EmbeddingBatch> out = harness.extractOutputValues();
        harness.getOutput().clear();
        return out;
    }

    private static List<String> keys(EmbeddingBatch batch) {
        return batch.documents().stream().map(DocumentUpdate::key).toList();
    }
}
