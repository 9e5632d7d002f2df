package io.ragstream.embed.server;

import java.util.List;

/**
 * One wire protocol for embeddings (Ollama's, OpenAI's): how its requests read, and how its answers
 * and errors look. The request pipeline itself is {@link EmbedHandler}'s.
 */
interface EmbeddingApi {

    /** The path it serves, e.g. {@code /api/embed}. */
    String path();

    /** Reads a request body; malformed ones throw with the API's 400. */
    EmbedRequest parse(byte[] body) throws ApiException;

    /** Whether a request for {@code requested} is for the model served as {@code served}. */
    boolean matches(String requested, String served);

    /**
     * The answer to a request: one vector per text, {@code tokens} tokens in all, {@code
     * totalNanos} from arrival to answer, {@code loadNanos} of it loading the model.
     */
    Reply embedded(
            EmbedRequest request,
            String servedModel,
            List<float[]> vectors,
            int tokens,
            long totalNanos,
            long loadNanos);

    Reply modelNotFound(String requested);

    /** 401: no key, or {@code keyGiven} but wrong. */
    Reply unauthorized(boolean keyGiven);

    /** 503: {@code max-concurrency} requests are in progress. */
    Reply busy();

    /** An injected failure: 500, 503 or 429 as {@code mode} says. */
    Reply injected(FailMode mode);

    /** 400: texts[index] contains the poison marker. */
    Reply poisoned(int index, String marker);

    /** 400: texts[index] exceeds the model's context and truncation was refused. */
    Reply tooLong(int index);

    /** 400 with this message, about this request parameter (may be null). */
    Reply badRequest(String message, String param);

    Reply methodNotAllowed(String method);

    /** 500: the model failed. */
    Reply modelFailed(String message);
}
