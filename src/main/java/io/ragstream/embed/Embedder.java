package io.ragstream.embed;

import java.util.List;

/**
 * An embedding backend: turns texts into vectors with one model.
 *
 * <p>Implementations: the in-process {@link OnnxMiniLmEmbedder}, and a pool of {@link
 * EmbeddingBackend}s ({@link OllamaBackend}, {@link OpenAiBackend}, the in-process model) seen as
 * one; every {@link EmbeddingBackend} keeps the same contract.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #embed} returns exactly one vector per input text, in the input order, each of
 *       length {@link #dimension()}, with finite values, and of unit L2 norm (to within float
 *       rounding).
 *   <li>The vector of a text does not depend on which other texts share its call (batching and
 *       padding never change a vector beyond float rounding).
 *   <li>An empty input list gives an empty result without touching the backend.
 * </ul>
 *
 * <p>Unit norm, for every backend: the in-process model normalises as the last step of its pooling
 * ({@link MeanPooling}), the HTTP backends normalise what the server answers ({@link VectorChecks}:
 * a vector the server normalised already passes as it is, any other is scaled, one of zeros is
 * rejected); both divide by the norm in {@link Vectors#unitLength}. The index and the search
 * compare vectors by cosine distance, for which only the direction counts; one norm keeps the
 * vectors of every backend alike whatever the server does, and within float16's range.
 */
public interface Embedder extends AutoCloseable {

    /** The model name, recorded with every stored vector, e.g. {@code "all-MiniLM-L6-v2"}. */
    String model();

    /** The length of every vector this backend returns, e.g. 384. */
    int dimension();

    /**
     * Embeds the texts: one unit-norm vector per text, in the same order.
     *
     * @throws Exception when the backend fails; the batch as a whole has then failed
     */
    List<float[]> embed(List<String> texts) throws Exception;

    /** Releases the backend's resources; idempotent. */
    @Override
    void close();
}
