package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxModelOptionsTest {

    @Test
    void theDefaultsAreTheShippedModelWithItsTrainedLengthAndAThreadPerProcessor() {
        OnnxModelOptions defaults = OnnxModelOptions.defaults();
        assertThat(defaults.modelName()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(defaults.modelResource()).isEqualTo(OnnxMiniLmEmbedder.MODEL_RESOURCE);
        assertThat(defaults.tokenizerResource()).isEqualTo(OnnxMiniLmEmbedder.TOKENIZER_RESOURCE);
        assertThat(defaults.intraOpThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(defaults.maxBatchSize()).isEqualTo(1);
        assertThat(defaults.maxTokens()).isEqualTo(256);
    }

    @Test
    void theBuilderChangesWhatItIsToldAndKeepsTheOtherDefaults() {
        OnnxModelOptions options =
                OnnxModelOptions.builder()
                        .modelResource("/q.onnx")
                        .tokenizerResource("/t.json")
                        .intraOpThreads(2)
                        .maxBatchSize(4)
                        .maxTokens(128)
                        .build();
        assertThat(options)
                .isEqualTo(
                        new OnnxModelOptions(
                                InProcessModel.ALL_MINILM_L6_V2, "/q.onnx", "/t.json", 2, 4, 128));
        assertThat(OnnxModelOptions.builder().intraOpThreads(3).build())
                .isEqualTo(
                        new OnnxModelOptions(
                                InProcessModel.ALL_MINILM_L6_V2,
                                OnnxMiniLmEmbedder.MODEL_RESOURCE,
                                OnnxMiniLmEmbedder.TOKENIZER_RESOURCE,
                                3,
                                1,
                                256));
    }

    @Test
    void aModelBringsItsFilesAndItsTrainedLength() {
        OnnxModelOptions bge =
                OnnxModelOptions.builder()
                        .model(InProcessModel.BGE_SMALL_EN_V15_Q)
                        .intraOpThreads(1)
                        .build();
        assertThat(bge.modelName()).isEqualTo("bge-small-en-v1.5-q");
        assertThat(bge.modelResource()).isEqualTo("/bge-small-en-v1.5-q.onnx");
        assertThat(bge.tokenizerResource()).isEqualTo("/bge-small-en-v1.5-q-tokenizer.json");
        assertThat(bge.maxTokens()).isEqualTo(512);
        assertThat(bge.maxBatchSize()).isEqualTo(1);
        assertThat(bge).isNotEqualTo(OnnxModelOptions.builder().intraOpThreads(1).build());
        assertThat(OnnxModelOptions.builder().model(InProcessModel.BGE_SMALL_EN_V15).build())
                .extracting(OnnxModelOptions::maxBatchSize, OnnxModelOptions::maxTokens)
                .containsExactly(1, 512);
    }

    @Test
    void anInt8ModelRunsOneTextPerCall() {
        assertThatThrownBy(
                        () ->
                                OnnxModelOptions.builder()
                                        .model(InProcessModel.ALL_MINILM_L6_V2_Q)
                                        .maxBatchSize(2)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("maxBatchSize must be 1", "all-MiniLM-L6-v2-q");
    }

    @Test
    void equalOptionsAreEqualKeys() {
        assertThat(OnnxModelOptions.builder().maxBatchSize(4).build())
                .isEqualTo(OnnxModelOptions.builder().maxBatchSize(4).build())
                .hasSameHashCodeAs(OnnxModelOptions.builder().maxBatchSize(4).build())
                .isNotEqualTo(OnnxModelOptions.defaults());
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThatThrownBy(() -> OnnxModelOptions.builder().maxTokens(513).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> OnnxModelOptions.builder().maxTokens(2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 3 and 512");
        assertThatThrownBy(() -> OnnxModelOptions.builder().maxBatchSize(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBatchSize");
        assertThatThrownBy(() -> OnnxModelOptions.builder().intraOpThreads(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> OnnxModelOptions.builder().modelResource(null).build())
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("modelResource");
    }
}
