package io.ragstream.embed;

import java.util.List;

/**
 * An embedding backend: turns texts into vectors with one model.
 *
 * <p>Implementations: the in-process {@link OnnxMiniLmEmbedder}; HTTP backends (Ollama,
 * OpenAI-compatible servers) follow the same contract.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #embed} returns exactly one vector per input text, in the input order, each of
 *       length {@link #dimension()} and L2-normalised (unit norm), with finite values.
 *   <li>The vector of a text does not depend on which other texts share its call (batching and
 *       padding never change a vector beyond float rounding).
 *   <li>An empty input list gives an empty result without touching the backend.
 * </ul>
 */
public interface Embedder extends AutoCloseable {

    /** The model name, recorded with every stored vector, e.g. {@code "all-MiniLM-L6-v2"}. */
    String model();

    /** The length of every vector this backend returns, e.g. 384. */
    int dimension();

    /**
     * Embeds the texts: one L2-normalised vector per text, in the same order.
     *
     * @throws Exception when the backend fails; the batch as a whole has then failed
     */
    List<float[]> embed(List<String> texts) throws Exception;

    /** Releases the backend's resources; idempotent. */
    @Override
    void close();
}
