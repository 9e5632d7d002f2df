package io.ragstream.chunk;

import java.io.Serializable;

/** Measures text in a model's tokens, so chunks fit the model. */
@FunctionalInterface
public interface TokenCounter extends Serializable, AutoCloseable {
    int count(String text);

    /** Releases what counting needed (a tokenizer, a model handle); called when the operator closes. */
    @Override
    default void close() {}
}
