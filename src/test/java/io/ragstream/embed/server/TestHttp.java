package io.ragstream.embed.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/** A plain JDK HTTP/1.1 client for the server tests: real sockets, JSON in and out. */
final class TestHttp {

    static final ObjectMapper JSON = new ObjectMapper();

    static final HttpClient CLIENT =
            HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();

    /** A response: status, body text and headers. */
    record Response(int status, String body, HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }
    }

    private TestHttp() {}

    static Response post(URI uri, String json, String... headers) {
        return send(postRequest(uri, json, null, headers));
    }

    static CompletableFuture<Response> postAsync(URI uri, String json, String... headers) {
        return CLIENT.sendAsync(
                        postRequest(uri, json, null, headers), HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> new Response(r.statusCode(), r.body(), r.headers()));
    }

    /** Posts and gives up after {@code timeout}: a timeout or a dropped connection throws. */
    static Response postWithin(URI uri, String json, Duration timeout)
            throws IOException, InterruptedException {
        HttpResponse<String> r =
                CLIENT.send(postRequest(uri, json, timeout), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers());
    }

    static Response get(URI uri, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON array of numbers as floats, read exactly (each number parsed as a float). */
    static float[] floats(JsonNode array) {
        try {
            return JSON.readerFor(float[].class).readValue(array.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** OpenAI's base64 embedding: little-endian float32. */
    static float[] base64Floats(String base64) {
        ByteBuffer bytes =
                ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] vector = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(vector);
        return vector;
    }

    static double norm(float[] vector) {
        double squares = 0;
        for (float v : vector) {
            squares += (double) v * v;
        }
        return Math.sqrt(squares);
    }

    private static HttpRequest postRequest(
            URI uri, String json, Duration timeout, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri)
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .header("Content-Type", "application/json")
                        .timeout(timeout != null ? timeout : Duration.ofSeconds(60));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    static Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
