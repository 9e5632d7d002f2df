package io.ragstream.embed.server;

/** A request that an {@link EmbeddingApi} answers with an error {@link Reply}. */
final class ApiException extends Exception {

    private final transient Reply reply;

    ApiException(Reply reply) {
        super("HTTP " + reply.status(), null, false, false);
        this.reply = reply;
    }

    Reply reply() {
        return reply;
    }
}
