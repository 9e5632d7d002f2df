package io.ragstream.embed.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** One HTTP response, ready to send: status, body and extra headers. */
record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {

    /** Writes floats with Schubfach (shortest round-trip digits), faster than Float.toString. */
    static final ObjectMapper JSON =
            new ObjectMapper(
                    JsonFactory.builder()
                            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                            .build());

    static Reply json(int status, Object value) {
        try {
            return new Reply(
                    status,
                    "application/json; charset=utf-8",
                    JSON.writeValueAsBytes(value),
                    Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write " + value.getClass().getSimpleName(), e);
        }
    }

    static Reply json(int status, byte[] body) {
        return new Reply(status, "application/json; charset=utf-8", body, Map.of());
    }

    static Reply text(int status, String text) {
        return new Reply(
                status,
                "text/plain; charset=utf-8",
                text.getBytes(StandardCharsets.UTF_8),
                Map.of());
    }

    Reply withHeader(String name, String value) {
        Map<String, String> all = new HashMap<>(headers);
        all.put(name, value);
        return new Reply(status, contentType, body, Map.copyOf(all));
    }
}
