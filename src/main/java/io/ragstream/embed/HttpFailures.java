package io.ragstream.embed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * How an HTTP backend's request or answer becomes an {@link EmbeddingFailure}, the same for every
 * HTTP backend ({@link OllamaBackend}, {@link OpenAiBackend}):
 *
 * <ul>
 *   <li>No answer (refused or reset connection, connect or request timeout, any other {@link
 *       IOException}): TRANSIENT, status 0.
 *   <li>408, 429, 5xx: TRANSIENT with the status; the server's message and any {@code Retry-After}
 *       are in the exception message. Exception: a 5xx saying the server could not serialise a
 *       non-finite number (Ollama's {@code "json: unsupported value: NaN"}, Python's {@code "Out of
 *       range float values are not JSON compliant"}) is PERMANENT, since the model gives that input
 *       NaN every time and retrying would stall the job for ever.
 *   <li>401, 403 (a key refused), 404 (a path or model the server lacks), 405 (a path that is not
 *       the embeddings API): MISCONFIGURED with the status; no input is to blame.
 *   <li>Any other non-2xx (400, 413, 422 naming an input, an unfollowed 3xx): PERMANENT with the
 *       status and the server's error message.
 *   <li>A 2xx whose body is not JSON at all (empty, or a proxy's HTML page): TRANSIENT with the
 *       status; the answer did not come from the embedding server.
 *   <li>A 2xx JSON that lacks the expected field or has the wrong shape, or the wrong number of
 *       vectors: PERMANENT with the status ({@link #badAnswer}); the server answered, and asking
 *       again gets the same answer. What is wrong with the vectors themselves is {@link
 *       VectorChecks}' to say.
 * </ul>
 */
final class HttpFailures {

    /** How much of a server's error text goes into an exception message. */
    private static final int MAX_DETAIL = 500;

    private HttpFailures() {}

    /**
     * The failure for a request that got no answer; anything but a network failure is passed on as
     * it is.
     */
    static RuntimeException noAnswer(Throwable t, String who) {
        if (t instanceof EmbeddingFailure f) {
            return f;
        }
        if (t instanceof HttpConnectTimeoutException) {
            return EmbeddingFailure.transientFailure(who + ": connect timed out", t);
        }
        if (t instanceof HttpTimeoutException) {
            return EmbeddingFailure.transientFailure(
                    who + ": no answer within the request timeout", t);
        }
        if (t instanceof CancellationException) {
            return EmbeddingFailure.transientFailure(
                    who + ": request cancelled, the backend was closed", t);
        }
        if (t instanceof IOException) {
            return EmbeddingFailure.transientFailure(who + ": no answer: " + t, t);
        }
        // Not a network failure: a bug here or in the JDK. Do not disguise it as one.
        return t instanceof RuntimeException r ? r : new CompletionException(t);
    }

    static boolean isSuccess(HttpResponse<?> response) {
        return response.statusCode() >= 200 && response.statusCode() < 300;
    }

    /** The failure for a non-2xx answer; see the class comment. */
    static EmbeddingFailure statusFailure(HttpResponse<byte[]> response, String who) {
        int status = response.statusCode();
        String detail = errorDetail(response.body());
        String text = who + ": HTTP " + status + (detail.isEmpty() ? "" : ": " + detail);
        if (status >= 500 && reportsNonFinite(detail)) {
            return new EmbeddingFailure(
                    EmbeddingFailure.Kind.PERMANENT,
                    status,
                    text
                            + " (the model gives a NaN or infinite value for some input of this batch)",
                    null);
        }
        if (status == 408 || status == 429 || status >= 500) {
            String retryAfter =
                    response.headers()
                            .firstValue("Retry-After")
                            .map(v -> " (Retry-After: " + v + ")")
                            .orElse("");
            return new EmbeddingFailure(
                    EmbeddingFailure.Kind.TRANSIENT, status, text + retryAfter, null);
        }
        if (status == 401 || status == 403 || status == 404 || status == 405) {
            return new EmbeddingFailure(EmbeddingFailure.Kind.MISCONFIGURED, status, text, null);
        }
        if (status >= 300 && status < 400) {
            text +=
                    " (redirects are not followed; configure the final URL"
                            + response.headers()
                                    .firstValue("Location")
                                    .map(l -> ": " + l)
                                    .orElse("")
                            + ")";
        }
        return new EmbeddingFailure(EmbeddingFailure.Kind.PERMANENT, status, text, null);
    }

    /**
     * Go's and Python's JSON encoders refuse NaN and infinities; servers then answer 500 with this
     * text.
     */
    private static boolean reportsNonFinite(String detail) {
        String d = detail.toLowerCase(Locale.ROOT);
        return d.contains("unsupported value: nan")
                || d.contains("unsupported value: +inf")
                || d.contains("unsupported value: -inf")
                || d.contains("out of range float values are not json compliant");
    }

    /**
     * The JSON of a 2xx answer. Not JSON at all (empty, HTML, cut short) is TRANSIENT: that answer
     * came from something in between (a proxy, a load balancer), not from the embedding server.
     */
    static JsonNode successBody(HttpResponse<byte[]> response, String who) {
        JsonNode json;
        try {
            json = HttpTransport.JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            json = null;
        } catch (IOException e) {
            throw EmbeddingFailure.transientFailure(who + ": could not read the answer: " + e, e);
        }
        if (json == null || json.isMissingNode()) {
            throw new EmbeddingFailure(
                    EmbeddingFailure.Kind.TRANSIENT,
                    response.statusCode(),
                    who
                            + ": HTTP "
                            + response.statusCode()
                            + " with a body that is not JSON (a proxy's page?): "
                            + (response.body().length == 0
                                    ? "(empty)"
                                    : errorDetail(response.body())),
                    null);
        }
        return json;
    }

    /** A PERMANENT failure about an answer that came (with its status). */
    static EmbeddingFailure badAnswer(HttpResponse<?> response, String who, String what) {
        return badAnswer(response.statusCode(), who, what);
    }

    static EmbeddingFailure badAnswer(int status, String who, String what) {
        return new EmbeddingFailure(
                EmbeddingFailure.Kind.PERMANENT, status, who + ": " + what, null);
    }

    /**
     * The server's own words for an error: {@code {"error": {"message": ..}}} (OpenAI, vLLM,
     * LiteLLM), {@code {"error": ".."}} (Ollama, TEI), {@code {"message": ..}} (older vLLM), {@code
     * {"detail": ..}} (FastAPI); else the start of the body as text. Never the request.
     */
    static String errorDetail(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        JsonNode json = null;
        try {
            json = HttpTransport.JSON.readTree(body);
        } catch (IOException notJson) {
            // fall through to the raw text
        }
        if (json != null && json.isObject()) {
            String message = serverMessage(json);
            if (message != null) {
                return clip(message);
            }
        }
        return clip(new String(body, StandardCharsets.UTF_8));
    }

    /** The error message in a JSON answer, or null when it has none. */
    static String serverMessage(JsonNode json) {
        JsonNode error = json.get("error");
        if (error != null && error.isObject() && error.hasNonNull("message")) {
            return text(error.get("message"));
        }
        if (error != null && !error.isNull() && !error.isObject()) {
            return text(error);
        }
        for (String field : new String[] {"message", "detail"}) {
            if (json.hasNonNull(field)) {
                return text(json.get(field));
            }
        }
        return error != null && !error.isNull() ? error.toString() : null;
    }

    private static String text(JsonNode node) {
        return node.isValueNode() ? node.asText() : node.toString();
    }

    /**
     * {@code s} on one line, cut to {@value #MAX_DETAIL} characters: what of a server's text goes
     * into a message.
     */
    static String clip(String s) {
        String oneLine = s.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= MAX_DETAIL ? oneLine : oneLine.substring(0, MAX_DETAIL) + "...";
    }
}
