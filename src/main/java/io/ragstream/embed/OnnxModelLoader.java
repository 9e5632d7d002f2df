package io.ragstream.embed;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.util.Set;

/**
 * Loads an {@link OnnxModel}: the model and its tokenizer from the classpath (the Maven artifact
 * {@link InProcessModel#artifact()}), an ONNX Runtime session with the options' threads, and a
 * check that the model takes and gives what {@link OnnxModel} feeds and reads.
 */
final class OnnxModelLoader {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxModelLoader.class);

    private OnnxModelLoader() {}

    /**
     * @throws IllegalStateException naming the resource and the artifact when a resource is missing
     *     or unreadable, or when ONNX Runtime or the tokenizer cannot load it
     */
    static OnnxModel load(OnnxModelOptions options) {
        long start = System.nanoTime();
        // Both resources are looked up before the 90 MB read, so a missing one fails fast.
        URL tokenizerUrl = findResource(options.tokenizerResource(), "tokenizer", options.model());
        URL modelUrl = findResource(options.modelResource(), "model", options.model());
        byte[] tokenizerJson = read(tokenizerUrl, options.tokenizerResource(), options.model());

        MiniLmTokenizer tokenizer = null;
        OrtSession.SessionOptions sessionOptions = null;
        OrtSession session = null;
        try {
            tokenizer = MiniLmTokenizer.create(tokenizerJson, options.maxTokens());

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            sessionOptions = new OrtSession.SessionOptions();
            sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            sessionOptions.setInterOpNumThreads(1);
            sessionOptions.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            byte[] modelBytes = read(modelUrl, options.modelResource(), options.model());
            session = env.createSession(modelBytes, sessionOptions);
            checkSignature(session, options.modelResource(), options.model().dimension());

            OnnxModel model = new OnnxModel(options, env, sessionOptions, session, tokenizer);
            LOG.info(
                    "Loaded {} from {} ({} MB) in {} ms, {} intra-op threads",
                    options.modelName(),
                    modelUrl,
                    modelBytes.length >> 20,
                    (System.nanoTime() - start) / 1_000_000,
                    options.intraOpThreads());
            return model;
        } catch (OrtException | RuntimeException | Error e) {
            closeQuietly(session, sessionOptions, tokenizer);
            if (e instanceof IllegalStateException ise) {
                throw ise;
            }
            if (e instanceof Error error && !(e instanceof LinkageError)) {
                throw error;
            }
            throw new IllegalStateException(
                    "Cannot load the ONNX model "
                            + options.modelResource()
                            + " ("
                            + options.modelName()
                            + ") with ONNX Runtime: "
                            + e.getMessage(),
                    e);
        }
    }

    private static URL findResource(String resource, String what, InProcessModel model) {
        URL url = OnnxModelLoader.class.getResource(resource);
        if (url == null) {
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            if (context != null) {
                url =
                        context.getResource(
                                resource.startsWith("/") ? resource.substring(1) : resource);
            }
        }
        if (url == null) {
            throw new IllegalStateException(
                    "The "
                            + what
                            + " resource "
                            + resource
                            + " is not on the classpath. It ships in the Maven artifact "
                            + model.artifact()
                            + " (a dependency of ragstream, and in a cluster's lib/; a shaded job"
                            + " jar includes it only when built with -Dwith-model).");
        }
        return url;
    }

    /** Reads a resource into an array of its exact size when the size is known (90 MB). */
    private static byte[] read(URL url, String resource, InProcessModel model) {
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
                    throw new IOException(
                            "expected "
                                    + size
                                    + " bytes, read "
                                    + read
                                    + (read == size ? " and more" : ""));
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new IllegalStateException(
                    "Cannot read "
                            + resource
                            + " from "
                            + url
                            + " ("
                            + model.artifact()
                            + "): "
                            + e.getMessage(),
                    e);
        }
    }

    private static void checkSignature(OrtSession session, String resource, int dimension)
            throws OrtException {
        Set<String> inputs = session.getInputNames();
        if (!inputs.contains(OnnxModel.INPUT_IDS) || !inputs.contains(OnnxModel.ATTENTION_MASK)) {
            throw new IllegalStateException(
                    "The model "
                            + resource
                            + " takes inputs "
                            + inputs
                            + ", expected "
                            + OnnxModel.INPUT_IDS
                            + " and "
                            + OnnxModel.ATTENTION_MASK);
        }
        var output = session.getOutputInfo().get(OnnxModel.LAST_HIDDEN_STATE);
        if (output == null
                || !(output.getInfo() instanceof TensorInfo info)
                || info.getShape().length != 3
                || info.getShape()[2] != dimension) {
            throw new IllegalStateException(
                    "The model "
                            + resource
                            + " has outputs "
                            + session.getOutputInfo().values()
                            + ", expected "
                            + OnnxModel.LAST_HIDDEN_STATE
                            + " [batch, tokens, "
                            + dimension
                            + "]");
        }
    }

    /** Closes what was opened, any of it null; a failing session close is logged, not thrown. */
    static void closeQuietly(
            OrtSession session, OrtSession.SessionOptions options, MiniLmTokenizer tokenizer) {
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
    }
}
