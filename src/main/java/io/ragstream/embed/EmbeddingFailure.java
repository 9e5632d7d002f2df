package io.ragstream.embed;

/** A failed embedding request, and whether sending it again may succeed. */
public final class EmbeddingFailure extends RuntimeException {

    public enum Kind {
        /** Timeout, refused or reset connection, 429, 5xx: retry, later or elsewhere. */
        TRANSIENT,
        /** The backend rejects this input for good (a 4xx naming it, NaN): dead-letter it. */
        PERMANENT,
        /**
         * The endpoint is set up wrong (401, 403, 404, 405, vectors of another dimension): no
         * input's fault, so nothing is dead-lettered; the endpoint takes no work until fixed.
         */
        MISCONFIGURED
    }

    private final Kind kind;
    private final int status;

    public EmbeddingFailure(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    public static EmbeddingFailure transientFailure(String message, Throwable cause) {
        return new EmbeddingFailure(Kind.TRANSIENT, 0, message, cause);
    }

    public static EmbeddingFailure permanent(String message) {
        return new EmbeddingFailure(Kind.PERMANENT, 0, message, null);
    }

    public Kind kind() {
        return kind;
    }

    public boolean isMisconfigured() {
        return kind == Kind.MISCONFIGURED;
    }

    public boolean isTransient() {
        return kind == Kind.TRANSIENT;
    }

    /** The HTTP status, or 0 when there was no response. */
    public int status() {
        return status;
    }
}
