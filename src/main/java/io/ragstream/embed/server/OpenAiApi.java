package io.ragstream.embed.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's {@code POST /v1/embeddings} (also vLLM's, TEI's, LiteLLM's): {@code {"model", "input":
 * "text" | ["a", "b"], "encoding_format": "float" | "base64", "dimensions", "user"}} answered by
 * {@code {"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
 * "usage": {"prompt_tokens", "total_tokens"}}}, where a base64 embedding is the little-endian
 * float32 bytes. Errors are {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class OpenAiApi implements EmbeddingApi {

    static final String PATH = "/v1/embeddings";

    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    static final String INVALID_REQUEST = "invalid_request_error";

    private static final String REFERENCE =
            " Please check the API reference: https://platform.openai.com/docs/api-reference.";

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public EmbedRequest parse(byte[] body) throws ApiException {
        JsonNode json;
        try {
            json = body.length == 0 ? null : Reply.JSON.readTree(body);
        } catch (JsonProcessingException e) {
            json = null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (json == null || !json.isObject()) {
            throw new ApiException(
                    badRequest(
                            "We could not parse the JSON body of your request. "
                                    + "(HINT: This likely means you aren't using your HTTP library correctly. The "
                                    + "OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
                            null));
        }
        JsonNode model = json.path("model");
        if (!model.isTextual() || model.textValue().isEmpty()) {
            throw new ApiException(badRequest("you must provide a model parameter", null));
        }
        JsonNode input = json.path("input");
        if (input.isMissingNode() || input.isNull()) {
            throw new ApiException(
                    error(
                            400,
                            "Missing required parameter: 'input'.",
                            INVALID_REQUEST,
                            "input",
                            "missing_required_parameter"));
        }
        List<String> texts = new ArrayList<>();
        if (input.isTextual()) {
            texts.add(input.textValue());
        } else if (input.isArray() && input.size() <= MAX_INPUTS) {
            for (JsonNode item : input) {
                if (!item.isTextual()) { // token arrays are valid OpenAI input, not served here
                    throw new ApiException(invalid("input"));
                }
                texts.add(item.textValue());
            }
        } else {
            throw new ApiException(invalid("input"));
        }
        if (texts.isEmpty() || texts.stream().anyMatch(String::isEmpty)) {
            throw new ApiException(invalid("input"));
        }
        JsonNode format = json.path("encoding_format");
        boolean base64 = false;
        if (!format.isMissingNode() && !format.isNull()) {
            if (!format.isTextual()
                    || !(format.textValue().equals("float")
                            || format.textValue().equals("base64"))) {
                throw new ApiException(invalid("encoding_format"));
            }
            base64 = format.textValue().equals("base64");
        }
        JsonNode dimensions = json.path("dimensions");
        Integer dims = null;
        if (!dimensions.isMissingNode() && !dimensions.isNull()) {
            if (!dimensions.isIntegralNumber() || dimensions.intValue() < 1) {
                throw new ApiException(invalid("dimensions"));
            }
            dims = dimensions.intValue();
        }
        return new EmbedRequest(model.textValue(), texts, base64, dims, true);
    }

    /** Exact, as vLLM and OpenAI compare. */
    @Override
    public boolean matches(String requested, String served) {
        return requested.equals(served);
    }

    @Override
    public Reply embedded(
            EmbedRequest request,
            String servedModel,
            List<float[]> vectors,
            int tokens,
            long totalNanos,
            long loadNanos) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + vectors.size() * 4_100);
        try (JsonGenerator json = Reply.JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("object", "list");
            json.writeArrayFieldStart("data");
            for (int i = 0; i < vectors.size(); i++) {
                json.writeStartObject();
                json.writeStringField("object", "embedding");
                json.writeNumberField("index", i);
                json.writeFieldName("embedding");
                if (request.base64()) {
                    json.writeString(base64(vectors.get(i)));
                } else {
                    json.writeStartArray();
                    for (float v : vectors.get(i)) {
                        json.writeNumber(v);
                    }
                    json.writeEndArray();
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeStringField("model", servedModel);
            json.writeObjectFieldStart("usage");
            json.writeNumberField("prompt_tokens", tokens);
            json.writeNumberField("total_tokens", tokens);
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Reply.json(200, out.toByteArray());
    }

    /** The vector as OpenAI's base64: little-endian float32. */
    static String base64(float[] vector) {
        ByteBuffer bytes =
                ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    @Override
    public Reply modelNotFound(String requested) {
        return error(
                404,
                "The model `" + requested + "` does not exist or you do not have access to it.",
                INVALID_REQUEST,
                null,
                "model_not_found");
    }

    @Override
    public Reply unauthorized(boolean keyGiven) {
        return keyGiven
                ? error(
                        401,
                        "Incorrect API key provided.",
                        INVALID_REQUEST,
                        null,
                        "invalid_api_key")
                : error(
                        401,
                        "You didn't provide an API key. You need to provide your API key in "
                                + "an Authorization header using Bearer auth (i.e. Authorization: Bearer "
                                + "YOUR_KEY).",
                        INVALID_REQUEST,
                        null,
                        null);
    }

    @Override
    public Reply busy() {
        return error(503, "The server is overloaded or not ready yet.", "server_error", null, null);
    }

    @Override
    public Reply injected(FailMode mode) {
        return switch (mode) {
            case HTTP_503 -> busy();
            case HTTP_429 ->
                    error(
                                    429,
                                    "Rate limit reached for requests (injected: fail-mode 429).",
                                    "requests",
                                    null,
                                    "rate_limit_exceeded")
                            .withHeader("Retry-After", "1");
            default ->
                    error(
                            500,
                            "The server had an error while processing your request. Sorry "
                                    + "about that! (injected: fail-mode "
                                    + mode.wireName()
                                    + ")",
                            "server_error",
                            null,
                            null);
        };
    }

    @Override
    public Reply poisoned(int index, String marker) {
        return badRequest(
                "input["
                        + index
                        + "] is rejected: it contains the poison marker \""
                        + marker
                        + "\".",
                "input");
    }

    @Override
    public Reply tooLong(int index) {
        return badRequest(
                "input[" + index + "] exceeds the model's maximum context length.", "input");
    }

    @Override
    public Reply badRequest(String message, String param) {
        return error(400, message, INVALID_REQUEST, param, null);
    }

    @Override
    public Reply methodNotAllowed(String method) {
        return error(
                405,
                "Invalid method for URL (" + method + " " + PATH + ").",
                INVALID_REQUEST,
                null,
                null);
    }

    @Override
    public Reply modelFailed(String message) {
        return error(
                500,
                "The server had an error while processing your request: " + message,
                "server_error",
                null,
                null);
    }

    private Reply invalid(String field) {
        return badRequest("'$." + field + "' is invalid." + REFERENCE, null);
    }

    static Reply error(int status, String message, String type, String param, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Reply.json(status, Map.of("error", error));
    }
}
