package io.ragstream.embed.server;

import io.ragstream.chunk.DocumentChunker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cheap read-only endpoints clients probe: Ollama's {@code GET /} ("Ollama is running"), {@code
 * GET /api/tags} and {@code GET /api/version}; OpenAI's {@code GET /v1/models}. Anything else is
 * 404, as Ollama's router answers.
 */
final class InfoHandler implements HttpHandler {

    /** What this server reports as its Ollama version. */
    static final String VERSION = "0.0.0-ragstream";

    private final EmbeddingServer server;
    private final Instant started = Instant.now();

    InfoHandler(EmbeddingServer server) {
        this.server = server;
    }

    @Override
    public void handle(HttpExchange exchange) {
        String method = exchange.getRequestMethod();
        boolean read = "GET".equalsIgnoreCase(method) || "HEAD".equalsIgnoreCase(method);
        String path = exchange.getRequestURI().getPath();
        Reply reply;
        if (!read) {
            reply = notFound();
        } else if (path.equals("/")) {
            reply = Reply.text(200, "Ollama is running");
        } else if (path.equals("/api/tags")) {
            reply = Reply.json(200, Map.of("models", List.of(tag(server.options()))));
        } else if (path.equals("/api/version")) {
            reply = Reply.json(200, Map.of("version", VERSION));
        } else if (path.equals("/v1/models")) {
            reply =
                    Reply.json(
                            200,
                            Map.of(
                                    "object",
                                    "list",
                                    "data",
                                    List.of(
                                            Map.of(
                                                    "id",
                                                    server.options().modelName(),
                                                    "object",
                                                    "model",
                                                    "created",
                                                    started.getEpochSecond(),
                                                    "owned_by",
                                                    "ragstream"))));
        } else {
            reply = notFound();
        }
        server.responder().send(exchange, reply);
    }

    static Reply notFound() {
        return Reply.text(404, "404 page not found");
    }

    private Map<String, Object> tag(EmbeddingServerOptions options) {
        String name = options.modelName();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("format", options.model() == ModelKind.MINILM ? "onnx" : "synthetic");
        details.put("family", "bert");
        details.put("families", List.of("bert"));
        details.put("parameter_size", options.model() == ModelKind.MINILM ? "22.7M" : "0");
        details.put("quantization_level", "F32");
        Map<String, Object> tag = new LinkedHashMap<>();
        tag.put("name", name.contains(":") ? name : name + ":latest");
        tag.put("model", name.contains(":") ? name : name + ":latest");
        tag.put("modified_at", started.toString());
        tag.put("size", 0);
        tag.put("digest", DocumentChunker.sha256Hex(name));
        tag.put("details", details);
        return tag;
    }
}
