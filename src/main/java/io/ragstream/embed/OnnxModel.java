package io.ragstream.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * One loaded model ({@link OnnxModelLoader}): its ONNX Runtime session and its tokenizer, and how a
 * list of texts runs through them. {@link OnnxMiniLmEmbedder} hands out handles to it.
 *
 * <p>Batching: one {@link #embed} call tokenizes every text, sorts the texts by token length so
 * that texts of similar length share a sub-batch (little padding), runs sub-batches of at most
 * {@link OnnxModelOptions#maxBatchSize()} texts, pools each text's states (the model's {@link
 * Pooling}), and returns the vectors in the caller's order.
 *
 * <p>Thread safety: any number of threads may call {@link #embed}, {@link #countTokens} and {@link
 * #tokenEnds} at once (the session's {@code run} is thread-safe, and they share its intra-op thread
 * pool); {@link #close()} waits for the calls in progress, and later calls fail.
 */
final class OnnxModel {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);
    private final OnnxModelOptions options;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final boolean takesTokenTypeIds;
    private final MiniLmTokenizer tokenizer;
    private final Pooling pooling;
    private final int dimension;

    /** Calls hold the read lock, close the write lock. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** Guarded by {@code lock}. */
    private boolean closed;

    OnnxModel(
            OnnxModelOptions options,
            OrtEnvironment env,
            OrtSession.SessionOptions sessionOptions,
            OrtSession session,
            MiniLmTokenizer tokenizer) {
        this.options = options;
        this.env = env;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.takesTokenTypeIds = session.getInputNames().contains(TOKEN_TYPE_IDS);
        this.tokenizer = tokenizer;
        this.pooling = options.model().pooling();
        this.dimension = options.model().dimension();
    }

    OnnxModelOptions options() {
        return options;
    }

    /** One unit-length vector per text, in order; {@code texts} is not empty. */
    List<float[]> embed(List<String> texts) {
        return whileOpen(() -> run(texts));
    }

    /** See {@link MiniLmTokenizer#count}. */
    int countTokens(String text) {
        return whileOpen(() -> tokenizer.count(text));
    }

    /** See {@link MiniLmTokenizer#tokenEnds}. */
    int[] tokenEnds(String text) {
        return whileOpen(() -> tokenizer.tokenEnds(text));
    }

    private <T> T whileOpen(Supplier<T> call) {
        ReentrantReadWriteLock.ReadLock readLock = lock.readLock();
        readLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException(options.modelName() + " is closed");
            }
            return call.get();
        } finally {
            readLock.unlock();
        }
    }

    private List<float[]> run(List<String> texts) {
        int n = texts.size();
        long[][] ids = new long[n][];
        // (length << 32 | index): sorting these orders texts by length, ties by position.
        long[] byLength = new long[n];
        for (int i = 0; i < n; i++) {
            String text = texts.get(i);
            if (text == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
            ids[i] = tokenizer.ids(text);
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
        long[] inputIds = new long[size * length]; // padded with [PAD] = 0
        long[] attentionMask = new long[size * length];
        for (int r = 0; r < size; r++) {
            long[] row = ids[rows[r]];
            System.arraycopy(row, 0, inputIds, r * length, row.length);
            Arrays.fill(attentionMask, r * length, r * length + row.length, 1L);
        }
        long[] shape = {size, length};

        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            inputs.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape));
            inputs.put(
                    ATTENTION_MASK,
                    OnnxTensor.createTensor(env, LongBuffer.wrap(attentionMask), shape));
            if (takesTokenTypeIds) {
                inputs.put(
                        TOKEN_TYPE_IDS,
                        OnnxTensor.createTensor(
                                env, LongBuffer.wrap(new long[size * length]), shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(LAST_HIDDEN_STATE))) {
                OnnxValue value =
                        result.get(LAST_HIDDEN_STATE)
                                .orElseThrow(
                                        () ->
                                                new IllegalStateException(
                                                        "No " + LAST_HIDDEN_STATE + " returned"));
                OnnxTensor hidden = (OnnxTensor) value;
                long[] outShape = hidden.getInfo().getShape();
                if (!Arrays.equals(outShape, new long[] {size, length, dimension})) {
                    throw new IllegalStateException(
                            "The model returned "
                                    + LAST_HIDDEN_STATE
                                    + " of shape "
                                    + Arrays.toString(outShape)
                                    + ", expected ["
                                    + size
                                    + ", "
                                    + length
                                    + ", "
                                    + dimension
                                    + "]");
                }
                FloatBuffer states = hidden.getFloatBuffer();
                for (int r = 0; r < size; r++) {
                    vectors[rows[r]] =
                            pooling.pool(
                                    states,
                                    r * length * dimension,
                                    ids[rows[r]].length,
                                    dimension,
                                    rows[r]);
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "ONNX Runtime failed on a batch of "
                            + size
                            + " texts of up to "
                            + length
                            + " tokens: "
                            + e.getMessage(),
                    e);
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
        }
    }

    /** Releases the session and the tokenizer once the calls in progress are done; idempotent. */
    void close() {
        ReentrantReadWriteLock.WriteLock writeLock = lock.writeLock();
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            OnnxModelLoader.closeQuietly(session, sessionOptions, tokenizer);
            LOG.info("Released {}", options.modelName());
        } finally {
            writeLock.unlock();
        }
    }
}
