package io.ragstream.chunk;

import java.io.Serializable;

/** Measures text in a model's tokens, so chunks fit the model. */
@FunctionalInterface
public interface TokenCounter extends Serializable, AutoCloseable {
    int count(String text);

    /**
     * Counts the tokens of parts of {@code text} that begin and end at whitespace. By default each
     * part is counted on its own; a tokenizer whose tokens never cross whitespace can count them
     * all from one pass over the whole text.
     */
    default PartCounter parts(String text) {
        return (from, to) -> count(text.substring(from, to));
    }

    /** The tokens of {@code text.substring(from, to)}, for the text it was made for. */
    @FunctionalInterface
    interface PartCounter {
        int count(int from, int to);

        /**
         * Where a piece that starts at {@code from} and holds at most {@code maxTokens} tokens
         * ends, in {@code (from, to]}, for cutting a run of text without whitespace; {@code from}
         * when not even one character fits. Such a cut can split a word, and the piece, once
         * tokenized on its own, may count differently: callers count it again.
         *
         * <p>By default the longest such prefix, found by galloping and then bisecting with {@link
         * #count}: {@code O(L log L)} characters tokenized for a piece of length {@code L},
         * whatever the length of the run. A counter that knows where its tokens end answers without
         * tokenizing.
         */
        default int fit(int from, int to, int maxTokens) {
            int fits = from;
            int tooLong = to + 1;
            for (int step = 16; fits < to; step *= 2) {
                int probe = (int) Math.min(to, (long) fits + step);
                if (count(from, probe) > maxTokens) {
                    tooLong = probe;
                    break;
                }
                fits = probe;
            }
            while (tooLong - fits > 1) {
                int middle = (fits + tooLong) >>> 1;
                if (count(from, middle) <= maxTokens) {
                    fits = middle;
                } else {
                    tooLong = middle;
                }
            }
            return fits;
        }
    }

    /**
     * Releases what counting needed (a tokenizer, a model handle); called when the operator closes.
     */
    @Override
    default void close() {}
}
