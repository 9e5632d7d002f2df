package io.ragstream.chunk;

import java.io.Serializable;

/** Measures text in a model's tokens, so chunks fit the model. */
@FunctionalInterface
public interface TokenCounter extends Serializable, AutoCloseable {
    int count(String text);

    /**
     * Counts the tokens of parts of {@code text} that begin and end at whitespace. By default
     * each part is counted on its own; a tokenizer whose tokens never cross whitespace can count
     * them all from one pass over the whole text.
     */
    default PartCounter parts(String text) {
        return (from, to) -> count(text.substring(from, to));
    }

    /** The tokens of {@code text.substring(from, to)}, for the text it was made for. */
    @FunctionalInterface
    interface PartCounter {
        int count(int from, int to);
    }

    /** Releases what counting needed (a tokenizer, a model handle); called when the operator closes. */
    @Override
    default void close() {}
}
