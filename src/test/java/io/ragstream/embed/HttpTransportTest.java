package io.ragstream.embed;

import io.ragstream.testing.StubHttpServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ragstream.embed.OllamaBackendTest.failure;
import static io.ragstream.embed.OllamaBackendTest.json;
import static io.ragstream.testing.Ports.closedPort;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HttpTransport} against the JDK's HTTP server, and against sockets that refuse or reset.
 */
class HttpTransportTest {

    private static final String WHO = "test server";
    private static final ObjectNode BODY = HttpTransport.JSON.createObjectNode().put("input", "x");

    private final StubHttpServer server = new StubHttpServer();
    private HttpTransport transport;

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.close();
        }
        server.close();
    }

    private HttpTransport transport(URI uri, Duration requestTimeout) {
        transport = new HttpTransport(uri, Duration.ofSeconds(10), requestTimeout);
        return transport;
    }

    /** What a backend hands its caller: the failure itself, not wrapped. */
    private CompletableFuture<HttpResponse<byte[]>> post(HttpTransport transport, URI uri) {
        return HttpTransport.unwrapped(transport.postJson(uri, BODY, Map.of(), WHO));
    }

    @Test
    void postsJsonWithItsHeadersAndHandsBackAnyAnswerWhateverItsStatus() throws Exception {
        server.reply(503, "{\"error\": \"busy\"}");
        URI uri = URI.create(server.url() + "/api/embed");
        HttpTransport transport = transport(uri, Duration.ofSeconds(10));

        HttpResponse<byte[]> response =
                transport
                        .postJson(uri, BODY, Map.of("Authorization", "Bearer k"), WHO)
                        .get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\": \"busy\"}");
        StubHttpServer.Request request = server.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/api/embed");
        assertThat(request.headers().getFirst("Content-Type")).isEqualTo("application/json");
        assertThat(request.headers().getFirst("Accept")).isEqualTo("application/json");
        assertThat(request.headers().getFirst("Authorization")).isEqualTo("Bearer k");
        assertThat(request.json()).isEqualTo(json("{\"input\": \"x\"}"));
        assertThat(transport.inFlight()).isZero();
    }

    @Test
    void readsNanAndInfinityLiteralsAsNumbers() throws Exception {
        JsonNode parsed = HttpTransport.JSON.readTree("[NaN, -Infinity]");
        assertThat(parsed.get(0).doubleValue()).isNaN();
        assertThat(parsed.get(1).doubleValue()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void aRefusedConnectionIsTransient() throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + closedPort());
        EmbeddingFailure f = failure(post(transport(uri, Duration.ofSeconds(10)), uri));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.status()).isZero();
        assertThat(f.getCause()).isInstanceOf(IOException.class);
        assertThat(f).hasMessageContaining(WHO);
    }

    @Test
    void aResetConnectionIsTransient() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor =
                    new Thread(
                            () -> {
                                try (Socket s = socket.accept()) {
                                    s.setSoLinger(true, 0); // close with a RST
                                    s.getInputStream().read();
                                } catch (IOException ignored) {
                                    // the test is over
                                }
                            });
            acceptor.setDaemon(true);
            acceptor.start();
            URI uri = URI.create("http://127.0.0.1:" + socket.getLocalPort());
            EmbeddingFailure f = failure(post(transport(uri, Duration.ofSeconds(10)), uri));
            assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
            assertThat(f.status()).isZero();
        }
    }

    @Test
    void anAnswerLaterThanTheRequestTimeoutIsTransientAndTheCallerNeverWaits() {
        server.hang();
        URI uri = URI.create(server.url());
        HttpTransport transport = transport(uri, Duration.ofMillis(300));

        long start = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> future = post(transport, uri);
        long callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(future).isNotDone();
        assertThat(callMillis).isLessThan(300);

        EmbeddingFailure f = failure(future);
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.status()).isZero();
        assertThat(f.getCause()).isInstanceOf(HttpTimeoutException.class);
        assertThat(f).hasMessageContaining("request timeout");
    }

    @Test
    void closingFailsWhatIsInFlightAsTransientAndRefusesMore() {
        server.hang();
        URI uri = URI.create(server.url());
        HttpTransport transport = transport(uri, Duration.ofSeconds(10));
        CompletableFuture<HttpResponse<byte[]>> future = post(transport, uri);
        server.awaitRequests(1);
        assertThat(transport.inFlight()).isOne();

        transport.close();

        assertThat(failure(future).kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(transport.inFlight()).isZero();
        assertThat(failure(post(transport, uri)))
                .hasMessageContaining("closed")
                .extracting(EmbeddingFailure::kind)
                .isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        transport.close(); // idempotent
    }
}
