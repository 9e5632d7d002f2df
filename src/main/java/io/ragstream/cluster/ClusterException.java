package io.ragstream.cluster;

/** A Flink cluster refused or failed what was asked of it; the message says what and why. */
public final class ClusterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
