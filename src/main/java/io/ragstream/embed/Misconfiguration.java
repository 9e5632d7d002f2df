package io.ragstream.embed;

import io.ragstream.config.RagstreamOptions;

/**
 * Why a pool endpoint takes no work until someone fixes it, and which setting to look at.
 *
 * @param endpoint where it is, as the backend names it for logs (no key, no query string)
 * @param setting the setting that holds its URL, e.g. {@code embedding.endpoints[0].url}; null when
 *     the pool was not built from the job's settings
 * @param failure what it answered
 */
record Misconfiguration(String endpoint, String setting, EmbeddingFailure failure) {

    /**
     * The setting(s) to fix, from the answer: a refused key, a missing path or model, a dimension.
     */
    String fix() {
        String url = setting != null ? setting : "the endpoint's url";
        return switch (failure.status()) {
            case 401, 403 ->
                    RagstreamOptions.EMBEDDING_API_KEY_ENV.key()
                            + " (the variable holding the API key; the ollama backend sends none) or "
                            + url;
            case 404 ->
                    RagstreamOptions.EMBEDDING_MODEL.key()
                            + " (a model the server serves) or "
                            + url;
            case 405 -> url + " (it must be the server's base URL or its embeddings path)";
            default ->
                    RagstreamOptions.EMBEDDING_DIMENSION.key()
                            + " (the model's vector length) or "
                            + RagstreamOptions.EMBEDDING_MODEL.key();
        };
    }

    /** One line for logs and the job's failure: the endpoint, its answer, what to fix. */
    String describe() {
        return endpoint
                + (setting != null ? " (" + setting + ")" : "")
                + " is misconfigured: "
                + failure.getMessage()
                + "; fix "
                + fix();
    }
}
