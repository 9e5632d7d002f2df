package io.ragstream.embed.server;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How an {@link EmbeddingServer} fails the embedding requests picked by {@link
 * EmbeddingServerOptions#failEvery()}: what a sick GPU server does to its clients.
 */
public enum FailMode {
    /** Every request is answered normally. */
    NONE("none", 0),
    /** 500 Internal Server Error: the model crashed (transient). */
    HTTP_500("500", 500),
    /** 503 Service Unavailable: overloaded or still loading (transient). */
    HTTP_503("503", 503),
    /** 429 Too Many Requests with {@code Retry-After: 1} (transient). */
    HTTP_429("429", 429),
    /**
     * The request is accepted and never answered: the connection stays open until the client gives
     * up, and is closed without a response after {@link EmbeddingServerOptions#hangFor()}.
     */
    TIMEOUT("timeout", 0),
    /**
     * 200 with vectors one element short: a misconfigured backend serving another model. A client
     * must treat it as a permanent failure.
     */
    WRONG_DIMENSION("wrong-dimension", 200),
    /**
     * The server stops listening (connection refused) and drops every open connection, as if the
     * process died; it listens again on the same port when the mode changes back (see {@link
     * EmbeddingServer#up()}). Applies to the whole server: {@code fail-every} is ignored.
     */
    DOWN("down", 0);

    private final String wireName;
    private final int status;

    FailMode(String wireName, int status) {
        this.wireName = wireName;
        this.status = status;
    }

    /** The name used on the command line and in {@code /admin/config}, e.g. {@code "503"}. */
    public String wireName() {
        return wireName;
    }

    /** The HTTP status of an injected failure, 0 when none is sent. */
    int status() {
        return status;
    }

    /** Whether the mode fails single requests (picked by {@code fail-every}). */
    boolean failsRequests() {
        return this != NONE && this != DOWN;
    }

    /** Parses a wire name ({@code none, 500, 503, 429, timeout, wrong-dimension, down}). */
    public static FailMode parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (FailMode mode : values()) {
            if (mode.wireName.equals(v) || mode.name().toLowerCase(Locale.ROOT).equals(v)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(
                "unknown fail-mode '"
                        + value
                        + "', expected one of "
                        + Arrays.stream(values())
                                .map(FailMode::wireName)
                                .collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
