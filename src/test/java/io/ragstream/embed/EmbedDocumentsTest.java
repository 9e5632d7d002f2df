package io.ragstream.embed;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.EmbeddingBackendType;
import io.ragstream.testing.CapturedMetrics;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EmbedDocuments} in Flink's async operator, with the real in-process model: changed chunks
 * get the model's vectors, unchanged ones pass untouched, order is kept, and a text seen before (in
 * this batch or an earlier one, in any document) is not embedded again.
 */
class EmbedDocumentsTest {
    private CapturedMetrics metrics;
    private OneInputStreamOperatorTestHarness<EmbeddingBatch, EmbeddedDocument> harness;

    @BeforeEach
    void open() throws Exception {
        metrics = new CapturedMetrics("embed");
        EmbeddingOptions options =
                new EmbeddingOptions(
                        EmbeddingBackendType.ONNX,
                        OnnxMiniLmEmbedder.MODEL_NAME,
                        2,
                        Duration.ofMillis(10),
                        2,
                        Duration.ofMinutes(2),
                        1,
                        1000,
                        Duration.ofHours(1),
                        List.of(),
                        384,
                        Duration.ofSeconds(10),
                        "UNUSED",
                        Duration.ofMinutes(3));
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new AsyncWaitOperatorFactory<>(
                                new EmbedDocuments(options),
                                120_000,
                                4,
                                AsyncDataStream.OutputMode.ORDERED),
                        TypeInformation.of(EmbeddingBatch.class)
                                .createSerializer(new SerializerConfigImpl()),
                        metrics.environment());
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
        metrics.environment().close();
    }

    @Test
    void fillsChangedChunksWithTheModelsVectorsAndKeepsOrder() throws Exception {
        DocumentUpdate a =
                update(
                        "a",
                        changed(0, "Glaciers carve U-shaped valleys."),
                        unchanged(1, "kept"),
                        changed(2, "Espresso is brewed under pressure."));
        DocumentUpdate b = DocumentUpdate.delete("t", "b", 3);
        DocumentUpdate c = update("c", changed(0, "Bees dance to share where flowers are."));
        List<DocumentUpdate> out = process(new EmbeddingBatch(List.of(a, b, c)));

        assertThat(out).extracting(DocumentUpdate::docId).containsExactly("a", "b", "c");
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared()) {
            assertThat(out.get(0).chunks().get(0).embedding())
                    .isEqualTo(model.embed(List.of("Glaciers carve U-shaped valleys.")).get(0));
            assertThat(out.get(2).chunks().get(0).embedding())
                    .isEqualTo(
                            model.embed(List.of("Bees dance to share where flowers are.")).get(0));
        }
        assertThat(out.get(0).chunks().get(1).embedding())
                .as("unchanged: nothing to embed")
                .isNull();
        assertThat(out.get(0).chunks().get(2).embedding()).hasSize(384);
        assertThat(metrics.counter("chunksEmbedded")).isEqualTo(3);
        assertThat(metrics.counter("backendRequests")).as("3 texts in requests of 2").isEqualTo(2);
    }

    @Test
    void identicalTextIsEmbeddedOnceWithinABatchAndAcrossBatches() throws Exception {
        String boilerplate = "This page is licensed under CC BY 4.0.";
        List<DocumentUpdate> first =
                process(
                        new EmbeddingBatch(
                                List.of(
                                        update(
                                                "x",
                                                changed(0, "Tides follow the Moon."),
                                                changed(1, boilerplate)),
                                        update("y", changed(0, boilerplate)))));
        assertThat(metrics.counter("chunksEmbedded")).isEqualTo(2);
        assertThat(metrics.counter("chunksReused")).isEqualTo(1);

        List<DocumentUpdate> second =
                process(new EmbeddingBatch(List.of(update("z", changed(3, boilerplate)))));
        assertThat(metrics.counter("chunksEmbedded")).as("the cache answered").isEqualTo(2);
        assertThat(metrics.counter("chunksReused")).isEqualTo(2);

        float[] vector = first.get(0).chunks().get(1).embedding();
        assertThat(first.get(1).chunks().get(0).embedding()).isEqualTo(vector);
        assertThat(second.get(0).chunks().get(0).embedding()).isEqualTo(vector);
    }

    @Test
    void aBatchWithNothingToEmbedPassesThroughWithoutABackendCall() throws Exception {
        List<DocumentUpdate> out =
                process(new EmbeddingBatch(List.of(update("u", unchanged(0, "same")))));
        assertThat(out).hasSize(1);
        assertThat(metrics.counter("backendRequests")).isZero();
    }

    private List<DocumentUpdate> process(EmbeddingBatch batch) throws Exception {
        harness.getOutput().clear();
        harness.processElement(batch, 0L);
        harness.endInput(); // waits for the async results
        List<DocumentUpdate> out =
                new ArrayList<>(
                        harness.extractOutputValues().stream()
                                .map(EmbeddedDocument::update)
                                .toList());
        harness.getOutput().clear();
        return out;
    }

    private static DocumentUpdate update(String doc, ChunkRow... chunks) {
        return new DocumentUpdate("t", doc, 1, false, "{}", List.of(chunks));
    }

    private static ChunkRow changed(int no, String text) {
        return new ChunkRow(no, text, DocumentChunker.sha256(text), null);
    }

    private static ChunkRow unchanged(int no, String text) {
        return new ChunkRow(no, null, DocumentChunker.sha256(text), null);
    }
}
