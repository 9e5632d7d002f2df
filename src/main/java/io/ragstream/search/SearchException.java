package io.ragstream.search;

/** A search that cannot run, with a message a user can act on. */
public final class SearchException extends RuntimeException {
    public SearchException(String message, Throwable cause) {
        super(message, cause);
    }
}
