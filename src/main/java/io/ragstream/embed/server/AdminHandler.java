package io.ragstream.embed.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

/**
 * The knobs and counters of a running server, for tests and people with curl. When an API key is
 * set, every admin request must carry it ({@code Authorization: Bearer KEY}, else 401): whoever can
 * reach the port could otherwise clear the key or take the server down. Bodies are limited as the
 * embedding endpoints' are (413). Never subject to the concurrency limit or injected failures.
 *
 * <ul>
 *   <li>{@code GET /admin/config}: the settings ({@link OptionsJson}).
 *   <li>{@code POST /admin/config} with a JSON object of settings to change, e.g. {@code
 *       {"fail-mode": "503", "fail-every": 3}}; answers the new settings. With {@code "fail-mode":
 *       "down"} the server answers, then stops listening (a request sent in between may see its
 *       connection dropped rather than refused); add {@code "down-for": "5s"} to have it listen
 *       again after that long (otherwise only {@link EmbeddingServer#up()} brings it back).
 *   <li>{@code GET /admin/stats}: {@link EmbeddingServerStats.Snapshot} as JSON.
 *   <li>{@code POST /admin/stats/reset}: zeroes the counters, answers them.
 * </ul>
 */
final class AdminHandler implements HttpHandler {

    static final String DOWN_FOR = "down-for";

    private final EmbeddingServer server;

    AdminHandler(EmbeddingServer server) {
        this.server = server;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = exchange.getRequestURI().getPath();
        Responder responder = server.responder();
        if (!RequestGuard.authorized(exchange, server.options().apiKey())) {
            responder.send(
                    exchange,
                    Reply.json(
                                    401,
                                    Map.of(
                                            "error",
                                            "the admin endpoints need the API key: Authorization: Bearer KEY"))
                            .withHeader("WWW-Authenticate", "Bearer"));
            return;
        }
        switch (method + " " + path) {
            case "GET /admin/config" ->
                    responder.send(exchange, Reply.json(200, OptionsJson.render(server.options())));
            case "POST /admin/config" -> configure(exchange);
            case "GET /admin/stats" -> responder.send(exchange, Reply.json(200, stats()));
            case "POST /admin/stats/reset" -> {
                server.stats().reset();
                responder.send(exchange, Reply.json(200, stats()));
            }
            default -> responder.send(exchange, InfoHandler.notFound());
        }
    }

    private void configure(HttpExchange exchange) throws IOException {
        Responder responder = server.responder();
        JsonNode patch;
        try {
            patch =
                    Reply.JSON.readTree(
                            RequestGuard.readBody(exchange, server.options().maxRequestBytes()));
        } catch (ApiException e) {
            responder.send(exchange, e.reply());
            return;
        } catch (JsonProcessingException e) {
            responder.send(exchange, error(e.getOriginalMessage()));
            return;
        }
        Duration downFor = null;
        try {
            if (patch instanceof ObjectNode object && object.has(DOWN_FOR)) {
                downFor = OptionsJson.parseDuration(object.remove(DOWN_FOR).asText());
            }
            EmbeddingServerOptions next = OptionsJson.apply(server.options(), patch);
            if (next.failMode() == FailMode.DOWN) {
                // answer before the listener and this connection go away
                responder.send(
                        exchange,
                        Reply.json(200, OptionsJson.render(next))
                                .withHeader("Connection", "close"));
                server.configure(o -> OptionsJson.apply(o, patch));
                if (downFor != null) {
                    server.upAfter(downFor);
                }
                return;
            }
            next = server.configure(o -> OptionsJson.apply(o, patch));
            responder.send(exchange, Reply.json(200, OptionsJson.render(next)));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            responder.send(exchange, error(e.getMessage()));
        }
    }

    private ObjectNode stats() {
        ObjectNode json = Reply.JSON.valueToTree(server.stats().snapshot());
        json.put("port", server.port());
        json.put("hanging", server.responder().hangingCount());
        return json;
    }

    private static Reply error(String message) {
        return Reply.json(400, Map.of("error", String.valueOf(message)));
    }
}
