package io.ragstream.embed;

import io.ragstream.config.RagstreamConfig;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.ragstream.embed.OnnxMiniLmEmbedderTest.DATABASE;
import static io.ragstream.embed.OnnxMiniLmEmbedderTest.SEA;
import static io.ragstream.embed.OnnxMiniLmEmbedderTest.SHORT_TEXTS;
import static io.ragstream.embed.OnnxMiniLmEmbedderTest.maxAbsDiff;
import static io.ragstream.embed.OnnxMiniLmEmbedderTest.words;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every in-process model against a reference implementation: langchain4j's embedding model class
 * for the same artifact (its own tokenizer call, session and pooling: mean for MiniLM, CLS for
 * BGE). {@link OnnxMiniLmEmbedderTest} covers what does not depend on the model (batching, padding,
 * sharing) on the default one. Real inference, one model loaded at a time.
 */
class InProcessModelsTest {

    /** langchain4j's class for each artifact. */
    private static final Map<InProcessModel, Supplier<EmbeddingModel>> REFERENCE =
            Map.of(
                    InProcessModel.ALL_MINILM_L6_V2, AllMiniLmL6V2EmbeddingModel::new,
                    InProcessModel.ALL_MINILM_L6_V2_Q, AllMiniLmL6V2QuantizedEmbeddingModel::new,
                    InProcessModel.BGE_SMALL_EN_V15, BgeSmallEnV15EmbeddingModel::new,
                    InProcessModel.BGE_SMALL_EN_V15_Q, BgeSmallEnV15QuantizedEmbeddingModel::new);

    @Test
    void theTableOfModels() {
        assertThat(InProcessModel.values()).hasSize(4);
        assertThat(InProcessModel.names())
                .isEqualTo(
                        "all-MiniLM-L6-v2, all-MiniLM-L6-v2-q, bge-small-en-v1.5,"
                                + " bge-small-en-v1.5-q");
        assertThat(InProcessModel.named("bge-small-en-v1.5"))
                .contains(InProcessModel.BGE_SMALL_EN_V15);
        assertThat(InProcessModel.named("all-minilm")).isEmpty();
        for (InProcessModel model : InProcessModel.values()) {
            boolean bge = model.modelName().startsWith("bge");
            assertThat(model.pooling()).isEqualTo(bge ? Pooling.CLS : Pooling.MEAN);
            assertThat(model.maxTokens()).isEqualTo(bge ? 512 : 256);
            assertThat(model.queryPrefix())
                    .isEqualTo(
                            bge ? "Represent this sentence for searching relevant passages: " : "");
            assertThat(model.dimension()).isEqualTo(384);
        }
        assertThat(InProcessModel.ALL_MINILM_L6_V2.modelName())
                .isEqualTo(OnnxMiniLmEmbedder.MODEL_NAME);
        assertThat(InProcessModel.ALL_MINILM_L6_V2.artifact())
                .isEqualTo(OnnxMiniLmEmbedder.MODEL_ARTIFACT);
        assertThat(InProcessModel.ALL_MINILM_L6_V2.modelResource())
                .isEqualTo(OnnxMiniLmEmbedder.MODEL_RESOURCE);
    }

    @ParameterizedTest
    @EnumSource(InProcessModel.class)
    void agreesWithLangchain4j(InProcessModel kind) {
        try (OnnxMiniLmEmbedder embedder =
                OnnxMiniLmEmbedder.create(OnnxModelOptions.builder().model(kind).build())) {
            assertThat(embedder.model()).isEqualTo(kind.modelName());
            assertThat(embedder.dimension()).isEqualTo(384);
            assertThat(embedder.maxTokens()).isEqualTo(kind.maxTokens());
            assertThat(embedder.options().maxBatchSize()).isEqualTo(1);

            List<String> texts = new ArrayList<>(SHORT_TEXTS);
            if (kind.maxTokens() == 512) {
                // past MiniLM's 256, within the 510 langchain4j reads in one piece
                String longText = words(SEA + " " + DATABASE, 480);
                assertThat(embedder.countTokens(longText)).isBetween(400, 510);
                texts.add(longText);
            }
            EmbeddingModel reference = REFERENCE.get(kind).get();
            List<float[]> ours = embedder.embed(texts);
            double minCosine = 1;
            double maxDiff = 0;
            for (int i = 0; i < texts.size(); i++) {
                float[] theirs = reference.embed(texts.get(i)).content().vector();
                double cosine = Vectors.cosine(ours.get(i), theirs);
                assertThat(cosine).as("cosine for %s", texts.get(i)).isGreaterThanOrEqualTo(0.9999);

                minCosine = Math.min(minCosine, cosine);
                maxDiff = Math.max(maxDiff, maxAbsDiff(ours.get(i), theirs));
            }
            System.out.printf(
                    "langchain4j cross-check %s: %d texts, min cosine %.9f, max abs diff %.3g%n",
                    kind.modelName(), texts.size(), minCosine, maxDiff);
        }
    }

    /**
     * The int8 models scale their activations per call: batched, a text's vector would move with
     * its batch-mates, so they run one text per call and every text gets the vector it gets alone.
     */
    @ParameterizedTest
    @EnumSource(
            value = InProcessModel.class,
            names = {"ALL_MINILM_L6_V2_Q", "BGE_SMALL_EN_V15_Q"})
    void anInt8ModelGivesATextItsVectorWhateverItIsEmbeddedWith(InProcessModel kind) {
        assertThat(kind.oneTextPerRun()).isTrue();
        try (OnnxMiniLmEmbedder embedder =
                OnnxMiniLmEmbedder.create(OnnxModelOptions.builder().model(kind).build())) {
            List<String> texts = new ArrayList<>(SHORT_TEXTS);
            texts.add(words(SEA, 200));
            List<float[]> together = embedder.embed(texts);
            double maxDiff = 0;
            for (int i = 0; i < texts.size(); i++) {
                maxDiff =
                        Math.max(
                                maxDiff,
                                maxAbsDiff(
                                        embedder.embed(List.of(texts.get(i))).get(0),
                                        together.get(i)));
            }
            assertThat(maxDiff).isLessThan(1e-6);
        }
    }

    @Test
    void bgeReadsPast256WordPiecesAndPoolsTheClsState() {
        try (OnnxMiniLmEmbedder bge =
                        OnnxMiniLmEmbedder.create(
                                OnnxModelOptions.builder()
                                        .model(InProcessModel.BGE_SMALL_EN_V15_Q)
                                        .build());
                OnnxMiniLmEmbedder cutAt256 =
                        OnnxMiniLmEmbedder.create(
                                OnnxModelOptions.builder()
                                        .model(InProcessModel.BGE_SMALL_EN_V15_Q)
                                        .maxTokens(256)
                                        .build())) {
            String text = words(SEA, 254) + " " + words(DATABASE, 200);
            String first254 = words(SEA, 254);
            assertThat(bge.countTokens(first254)).isEqualTo(254);
            assertThat(
                            maxAbsDiff(
                                    cutAt256.embed(List.of(text)).get(0),
                                    cutAt256.embed(List.of(first254)).get(0)))
                    .isLessThan(1e-6);
            assertThat(
                            maxAbsDiff(
                                    bge.embed(List.of(text)).get(0),
                                    bge.embed(List.of(first254)).get(0)))
                    .isGreaterThan(1e-3);
        }
    }

    @Test
    void queriesGetTheModelsPrefixAndDocumentsDoNot() throws Exception {
        String query = "how do waves damage a wooden boat";
        for (InProcessModel kind :
                List.of(InProcessModel.BGE_SMALL_EN_V15_Q, InProcessModel.ALL_MINILM_L6_V2_Q)) {
            EmbeddingOptions embedding =
                    EmbeddingOptions.from(
                            RagstreamConfig.of(Map.of("embedding.model", kind.modelName())));
            try (OnnxMiniLmEmbedder documents =
                            OnnxMiniLmEmbedder.shared(embedding.inProcessModel());
                    Embedder queries = embedding.open()) {
                assertThat(queries.model()).isEqualTo(kind.modelName());
                float[] asQuery = queries.embed(List.of(query)).get(0);
                float[] prefixed = documents.embed(List.of(kind.queryPrefix() + query)).get(0);
                float[] plain = documents.embed(List.of(query)).get(0);
                assertThat(maxAbsDiff(asQuery, prefixed)).isLessThan(1e-6);
                if (kind.queryPrefix().isEmpty()) {
                    assertThat(queries).isInstanceOf(OnnxMiniLmEmbedder.class);
                } else {
                    assertThat(maxAbsDiff(asQuery, plain)).isGreaterThan(1e-3);
                }
            }
        }
    }
}
