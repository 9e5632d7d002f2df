package io.ragstream.embed.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ollama's {@code POST /api/embed}: {@code {"model", "input": "text" | ["a", "b"], "truncate",
 * "keep_alive", "options", "dimensions"}} answered by {@code {"model", "embeddings": [[...]],
 * "total_duration", "load_duration", "prompt_eval_count"}} (durations in nanoseconds); errors are
 * {@code {"error": "..."}} with the statuses and messages Ollama's server uses.
 */
final class OllamaApi implements EmbeddingApi {

    static final String PATH = "/api/embed";

    /** Ollama's message when its queue is full ({@code ErrMaxQueue}). */
    static final String BUSY = "server busy, please try again.  maximum pending requests exceeded";

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public EmbedRequest parse(byte[] body) throws ApiException {
        if (body.length == 0) {
            throw new ApiException(error(400, "missing request body"));
        }
        JsonNode json;
        try {
            json = Reply.JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(error(400, e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (json == null || json.isMissingNode()) {
            throw new ApiException(error(400, "missing request body"));
        }
        if (!json.isObject()) {
            throw new ApiException(
                    error(
                            400,
                            "json: cannot unmarshal "
                                    + kind(json)
                                    + " into Go value of type api.EmbedRequest"));
        }
        JsonNode model = json.path("model");
        if (!model.isMissingNode() && !model.isNull() && !model.isTextual()) {
            throw new ApiException(
                    error(
                            400,
                            "json: cannot unmarshal "
                                    + kind(model)
                                    + " into Go struct field EmbedRequest.model of type string"));
        }
        List<String> texts = new ArrayList<>();
        JsonNode input = json.path("input");
        if (input.isTextual()) {
            if (!input.textValue().isEmpty()) {
                texts.add(input.textValue());
            }
        } else if (input.isArray()) {
            for (JsonNode item : input) {
                if (!item.isTextual()) {
                    throw new ApiException(error(400, "invalid input type"));
                }
                texts.add(item.textValue());
            }
        } else if (!input.isMissingNode() && !input.isNull()) {
            throw new ApiException(error(400, "invalid input type"));
        }
        JsonNode truncate = json.path("truncate");
        if (!truncate.isMissingNode() && !truncate.isNull() && !truncate.isBoolean()) {
            throw new ApiException(
                    error(
                            400,
                            "json: cannot unmarshal "
                                    + kind(truncate)
                                    + " into Go struct field EmbedRequest.truncate of type bool"));
        }
        JsonNode dimensions = json.path("dimensions");
        Integer dims = null;
        if (!dimensions.isMissingNode() && !dimensions.isNull()) {
            if (!dimensions.isIntegralNumber() || dimensions.intValue() < 0) {
                throw new ApiException(
                        error(
                                400,
                                "json: cannot unmarshal "
                                        + kind(dimensions)
                                        + " into Go struct field EmbedRequest.dimensions of type int"));
            }
            dims = dimensions.intValue() == 0 ? null : dimensions.intValue();
        }
        return new EmbedRequest(
                model.asText(""),
                texts,
                false,
                dims,
                !truncate.isBoolean() || truncate.booleanValue());
    }

    /** As Ollama resolves names: any case, {@code :latest} implied. */
    @Override
    public boolean matches(String requested, String served) {
        String r = requested.toLowerCase(Locale.ROOT);
        String s = served.toLowerCase(Locale.ROOT);
        return r.equals(s) || r.equals(s + ":latest") || s.equals(r + ":latest");
    }

    @Override
    public Reply embedded(
            EmbedRequest request,
            String servedModel,
            List<float[]> vectors,
            int tokens,
            long totalNanos,
            long loadNanos) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + vectors.size() * 4_000);
        try (JsonGenerator json = Reply.JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("model", request.model());
            json.writeArrayFieldStart("embeddings");
            for (float[] vector : vectors) {
                json.writeStartArray();
                for (float v : vector) {
                    json.writeNumber(v);
                }
                json.writeEndArray();
            }
            json.writeEndArray();
            if (!vectors.isEmpty()) { // as Ollama: an empty input gets model and embeddings only
                json.writeNumberField("total_duration", totalNanos);
                json.writeNumberField("load_duration", loadNanos);
                json.writeNumberField("prompt_eval_count", tokens);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Reply.json(200, out.toByteArray());
    }

    @Override
    public Reply modelNotFound(String requested) {
        return error(404, "model \"" + requested + "\" not found, try pulling it first");
    }

    @Override
    public Reply unauthorized(boolean keyGiven) {
        return error(401, "unauthorized");
    }

    @Override
    public Reply busy() {
        return error(503, BUSY);
    }

    @Override
    public Reply injected(FailMode mode) {
        return switch (mode) {
            case HTTP_503 -> error(503, BUSY);
            case HTTP_429 ->
                    error(429, "rate limit exceeded (injected: fail-mode 429)")
                            .withHeader("Retry-After", "1");
            default ->
                    error(
                            500,
                            "failed to generate embeddings: injected failure (fail-mode "
                                    + mode.wireName()
                                    + ")");
        };
    }

    @Override
    public Reply poisoned(int index, String marker) {
        return error(
                400,
                "input["
                        + index
                        + "] is rejected: it contains the poison marker \""
                        + marker
                        + "\"");
    }

    @Override
    public Reply tooLong(int index) {
        return error(400, "input length exceeds maximum context length");
    }

    @Override
    public Reply badRequest(String message, String param) {
        return error(400, message);
    }

    @Override
    public Reply methodNotAllowed(String method) {
        return error(405, "405 method not allowed");
    }

    @Override
    public Reply modelFailed(String message) {
        return error(500, "failed to generate embeddings: " + message);
    }

    static Reply error(int status, String message) {
        return Reply.json(status, Map.of("error", message));
    }

    /** Go's name for a JSON value's kind, as in its unmarshal errors. */
    private static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "string";
        }
        if (node.isNumber()) {
            return "number";
        }
        if (node.isBoolean()) {
            return "bool";
        }
        if (node.isArray()) {
            return "array";
        }
        return node.isObject() ? "object" : "null";
    }
}
