package io.ragstream.embed.server;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;

/**
 * What every endpoint but {@code GET /} checks before it acts: the API key ({@code Authorization:
 * Bearer KEY}, compared in constant time) and the size of the request body, read no further than
 * {@link EmbeddingServerOptions#maxRequestBytes()} plus one byte.
 */
final class RequestGuard {

    private RequestGuard() {}

    /** True when no key is set, or the request carries it. */
    static boolean authorized(HttpExchange exchange, String apiKey) {
        if (apiKey == null) {
            return true;
        }
        String given = bearer(exchange);
        return given != null && sameKey(given, apiKey);
    }

    /** The key of {@code Authorization: Bearer KEY}; null when there is none. */
    static String bearer(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = header.substring(7).trim();
        return key.isEmpty() ? null : key;
    }

    static boolean sameKey(String given, String expected) {
        return MessageDigest.isEqual(
                given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The request body, at most {@code max} bytes. A larger one, by its Content-Length or by what
     * arrives (chunked), is refused before more than {@code max + 1} bytes are read: the reply is a
     * 413 that closes the connection, so the rest of the body is never read.
     *
     * @throws ApiException with that 413 reply
     */
    static byte[] readBody(HttpExchange exchange, long max) throws IOException, ApiException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > max) {
                    throw new ApiException(tooLarge(max));
                }
            } catch (NumberFormatException e) {
                // the JDK server has already refused a malformed Content-Length; read and see
            }
        }
        int limit = (int) Math.min(max, Integer.MAX_VALUE - 16);
        byte[] buffer = new byte[(int) Math.min(limit + 1L, 64 * 1024)];
        int filled = 0;
        InputStream in = exchange.getRequestBody();
        while (true) {
            if (filled == buffer.length) {
                if (filled > limit) {
                    throw new ApiException(tooLarge(max));
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit + 1L, 2L * buffer.length));
            }
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        if (filled > limit) {
            throw new ApiException(tooLarge(max));
        }
        in.close();
        return filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
    }

    /** 413 with a JSON error; the connection is closed after it. */
    static Reply tooLarge(long max) {
        return Reply.json(
                        413,
                        Map.of(
                                "error",
                                "request body larger than max-request-bytes (" + max + " bytes)"))
                .withHeader("Connection", "close");
    }
}
