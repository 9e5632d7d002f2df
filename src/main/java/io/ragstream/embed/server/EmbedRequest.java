package io.ragstream.embed.server;

import java.util.List;

/**
 * An embedding request as either API sends it.
 *
 * @param model the model name the client asked for
 * @param texts the inputs, in order
 * @param base64 answer with base64 little-endian float32 instead of numbers (OpenAI)
 * @param dimensions shorten the vectors to this many dimensions, null: as the model makes them
 * @param truncate cut texts longer than the model's context; else reject them (Ollama)
 */
record EmbedRequest(
        String model, List<String> texts, boolean base64, Integer dimensions, boolean truncate) {}
