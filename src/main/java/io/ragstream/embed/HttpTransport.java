package io.ragstream.embed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * One HTTP backend's client and the requests it has in flight: JSON out, the answer's bytes back.
 * Calls never block: requests go out with {@link HttpClient#sendAsync}, and the futures complete on
 * the client's threads. Whatever answer comes, its status included, is the caller's to judge
 * ({@link HttpFailures}); only "no answer" fails here.
 */
final class HttpTransport {

    /**
     * Parses NaN and Infinity literals (sloppy servers write them) so they fail as NaN, not as bad
     * JSON.
     */
    static final JsonMapper JSON =
            JsonMapper.builder()
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    private final HttpClient client;
    private final Duration requestTimeout;
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    HttpTransport(URI base, Duration connectTimeout, Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.client =
                HttpClient.newBuilder()
                        .connectTimeout(connectTimeout)
                        // Plain http: HTTP/1.1 straight away (no h2c upgrade dance with servers
                        // that do not
                        // speak it); https: HTTP/2 where the server offers it through ALPN.
                        .version(
                                "https".equalsIgnoreCase(base.getScheme())
                                        ? HttpClient.Version.HTTP_2
                                        : HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
    }

    /**
     * POSTs a JSON body. The future fails with a TRANSIENT {@link EmbeddingFailure} when no answer
     * came (refused, reset, timed out, closed); any answer, whatever its status, completes it.
     */
    CompletableFuture<HttpResponse<byte[]>> postJson(
            URI uri, JsonNode body, Map<String, String> headers, String who) {
        if (closed) {
            return CompletableFuture.failedFuture(
                    EmbeddingFailure.transientFailure(who + ": backend is closed", null));
        }
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri)
                        .timeout(requestTimeout)
                        .header("Content-Type", "application/json")
                        .header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(write(body)));
        headers.forEach(request::header);
        CompletableFuture<HttpResponse<byte[]>> sent =
                client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        inFlight.add(sent);
        if (closed) { // close() ran between the check above and add(): it may have missed this one
            sent.cancel(true);
        }
        // Forgotten before the caller hears of it, so that in-flight counts are exact by then.
        return sent.whenComplete((r, e) -> inFlight.remove(sent))
                .handle(
                        (response, error) -> {
                            if (error == null) {
                                return response;
                            }
                            throw HttpFailures.noAnswer(unwrap(error), who);
                        });
    }

    /** Fails the requests in flight (TRANSIENT, so they can go elsewhere) and refuses new ones. */
    void close() {
        closed = true;
        for (CompletableFuture<?> f : inFlight) {
            f.cancel(true);
        }
        inFlight.clear();
    }

    int inFlight() {
        return inFlight.size();
    }

    /**
     * A future that completes as {@code chain} does, but with its failure itself (an {@link
     * EmbeddingFailure}) rather than the {@link CompletionException} that wraps whatever a stage
     * throws: {@code whenComplete} and {@code exceptionally} callers see the failure directly.
     */
    static <T> CompletableFuture<T> unwrapped(CompletableFuture<T> chain) {
        CompletableFuture<T> result = new CompletableFuture<>();
        chain.whenComplete(
                (value, error) -> {
                    if (error == null) {
                        result.complete(value);
                    } else {
                        result.completeExceptionally(unwrap(error));
                    }
                });
        return result;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static byte[] write(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a request body", e);
        }
    }
}
