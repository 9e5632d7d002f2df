package io.ragstream.embed;

import io.ragstream.testing.StubHttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link HttpFailures} on real answers of the JDK's HTTP server. */
class HttpFailuresTest {

    private static final String WHO = "test server at http://h (model m)";

    private final StubHttpServer server = new StubHttpServer();
    private final HttpTransport transport =
            new HttpTransport(
                    URI.create(server.url()), Duration.ofSeconds(10), Duration.ofSeconds(10));

    @AfterEach
    void tearDown() {
        transport.close();
        server.close();
    }

    private HttpResponse<byte[]> answer(int status, String body, Map<String, String> headers)
            throws Exception {
        server.reply(status, body, headers);
        return transport
                .postJson(
                        URI.create(server.url()),
                        HttpTransport.JSON.createObjectNode(),
                        Map.of(),
                        WHO)
                .get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "HTTP {0}: {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "400 | PERMANENT     | {\"error\":\"input exceeds maximum context length\"}",
                "413 | PERMANENT     | <html><body>413 Request Entity Too Large</body></html>",
                "422 | PERMANENT     | {\"detail\":\"input is empty\"}",
                "401 | MISCONFIGURED | {\"error\":{\"message\":\"Incorrect API key provided\"}}",
                "403 | MISCONFIGURED | {\"error\":\"forbidden\"}",
                "404 | MISCONFIGURED | {\"error\":\"model 'm' not found\"}",
                "405 | MISCONFIGURED | {\"error\":\"method not allowed\"}",
                "408 | TRANSIENT     | {\"error\":\"request timeout\"}",
                "429 | TRANSIENT     | {\"error\":\"too many requests\"}",
                "500 | TRANSIENT     | {\"error\":\"llama runner process has terminated\"}",
                "502 | TRANSIENT     | <html><body><h1>502 Bad Gateway</h1></body></html>",
                "500 | PERMANENT     | {\"error\":\"failed to encode response: json: unsupported value: NaN\"}",
                "500 | PERMANENT     | {\"detail\":\"Out of range float values are not JSON compliant\"}"
            })
    void aStatusIsClassifiedWithTheServersMessage(
            int status, EmbeddingFailure.Kind kind, String body) throws Exception {
        EmbeddingFailure f = HttpFailures.statusFailure(answer(status, body, Map.of()), WHO);
        assertThat(f.kind()).isEqualTo(kind);
        assertThat(f.status()).isEqualTo(status);
        assertThat(f).hasMessageStartingWith(WHO + ": HTTP " + status + ": ");
    }

    @Test
    void aRetryAfterIsNamedAndAnUnfollowedRedirectSaysWhereTo() throws Exception {
        assertThat(HttpFailures.statusFailure(answer(503, "", Map.of("Retry-After", "2")), WHO))
                .hasMessage(WHO + ": HTTP 503 (Retry-After: 2)");
        EmbeddingFailure redirect =
                HttpFailures.statusFailure(
                        answer(308, "", Map.of("Location", "https://h/v1")), WHO);
        assertThat(redirect.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(redirect).hasMessageContainingAll("redirects are not followed", "https://h/v1");
    }

    @Test
    void aSuccessThatIsNotJsonIsTransient() throws Exception {
        EmbeddingFailure html =
                catchThrowableOfType(
                        () ->
                                HttpFailures.successBody(
                                        answer(
                                                200,
                                                "<html><body>Please log in to the corporate proxy</body></html>",
                                                Map.of()),
                                        WHO),
                        EmbeddingFailure.class);
        assertThat(html.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(html.status()).isEqualTo(200);
        assertThat(html).hasMessageContainingAll("not JSON", "corporate proxy");

        HttpResponse<byte[]> empty = answer(200, "", Map.of());
        assertThat(
                        catchThrowableOfType(
                                () -> HttpFailures.successBody(empty, WHO), EmbeddingFailure.class))
                .hasMessageContaining("(empty)");
        assertThat(
                        HttpFailures.successBody(answer(200, "{\"data\": []}", Map.of()), WHO)
                                .has("data"))
                .isTrue();
    }

    @Test
    void noAnswerIsTransientAndAnythingElsePassesAsItIs() {
        assertThat(HttpFailures.noAnswer(new HttpConnectTimeoutException("x"), WHO))
                .hasMessage(WHO + ": connect timed out");
        assertThat(HttpFailures.noAnswer(new HttpTimeoutException("x"), WHO))
                .hasMessageContaining("request timeout");
        assertThat(HttpFailures.noAnswer(new CancellationException(), WHO))
                .hasMessageContaining("closed");
        RuntimeException refused =
                HttpFailures.noAnswer(new ConnectException("Connection refused"), WHO);
        assertThat(refused)
                .isInstanceOf(EmbeddingFailure.class)
                .hasMessageContaining("Connection refused");
        assertThat(((EmbeddingFailure) refused).kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(((EmbeddingFailure) refused).status()).isZero();

        IllegalStateException bug = new IllegalStateException("a bug");
        assertThat(HttpFailures.noAnswer(bug, WHO)).isSameAs(bug);
        EmbeddingFailure already = EmbeddingFailure.transientFailure("closed", null);
        assertThat(HttpFailures.noAnswer(already, WHO)).isSameAs(already);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "OpenAI     | {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"tokens\"}} | Rate limit reached",
                "Ollama     | {\"error\":\"model 'm' not found\"}                                  | model 'm' not found",
                "older vLLM | {\"object\":\"error\",\"message\":\"maximum context length\"}          | maximum context length",
                "FastAPI    | {\"detail\":[{\"loc\":[\"body\",\"input\"],\"msg\":\"field required\"}]} | [{\"loc\":[\"body\",\"input\"],\"msg\":\"field required\"}]",
                "text       | `  upstream\t  timed   out `                                           | upstream timed out"
            })
    void errorDetailIsTheServersOwnWordsOnOneLine(String server, String body, String detail) {
        assertThat(HttpFailures.errorDetail(body.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(detail);
    }

    @Test
    void errorDetailIsCutShort() throws IOException {
        String detail = HttpFailures.errorDetail("x".repeat(2000).getBytes(StandardCharsets.UTF_8));
        assertThat(detail).hasSize(503).endsWith("...");
        assertThat(HttpFailures.errorDetail(new byte[0])).isEmpty();
        assertThat(HttpFailures.serverMessage(HttpTransport.JSON.readTree("{\"data\": []}")))
                .isNull();
    }
}
