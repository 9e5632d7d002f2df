package io.ragstream.embed.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedding request pipeline, the same for both {@link EmbeddingApi}s: API key, concurrency
 * limit (503), body size (413, {@link RequestGuard}), injected failure, parsing (400), model name
 * (404), poison marker (400), context length, the model, then the answer no sooner than the
 * configured latency after arrival.
 */
final class EmbedHandler implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(EmbedHandler.class);

    private final EmbeddingApi api;
    private final EmbeddingServer server;

    EmbedHandler(EmbeddingApi api, EmbeddingServer server) {
        this.api = api;
        this.server = server;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        long arrived = System.nanoTime();
        Responder responder = server.responder();
        if (!exchange.getRequestURI().getPath().equals(api.path())) {
            responder.send(exchange, InfoHandler.notFound());
            return;
        }
        if (!"POST".equalsIgnoreCase(exchange.getRequestMethod())) {
            responder.send(exchange, api.methodNotAllowed(exchange.getRequestMethod()));
            return;
        }
        EmbeddingServerOptions options = server.options();
        EmbeddingServerStats stats = server.stats();
        stats.received();
        if (!RequestGuard.authorized(exchange, options.apiKey())) {
            answer(exchange, api.unauthorized(RequestGuard.bearer(exchange) != null));
            return;
        }
        if (!stats.tryEnter(options.maxConcurrency())) {
            stats.answered(503, true);
            responder.send(exchange, api.busy());
            return;
        }
        boolean handedOver = false;
        try {
            byte[] body;
            try {
                body = RequestGuard.readBody(exchange, options.maxRequestBytes());
            } catch (ApiException e) {
                stats.answered(e.reply().status(), false);
                handedOver = true;
                responder.send(exchange, e.reply(), 0, stats::exit);
                return;
            }
            long sequence = server.nextSequence();
            FailMode failure =
                    options.failMode().failsRequests() && sequence % options.failEvery() == 0
                            ? options.failMode()
                            : FailMode.NONE;
            if (failure == FailMode.TIMEOUT) {
                stats.hung();
                stats.exit(); // a hung request does not hold its slot
                handedOver = true;
                responder.hang(exchange, options.hangFor());
                return;
            }
            Reply reply;
            long delay = 0;
            if (failure.status() >= 400) {
                reply = api.injected(failure);
            } else {
                try {
                    EmbedRequest request = api.parse(body);
                    reply = embed(request, options, failure, arrived);
                    delay =
                            options.latency(request.texts().size()).toNanos()
                                    - (System.nanoTime() - arrived);
                } catch (ApiException e) {
                    reply = e.reply();
                }
            }
            stats.answered(reply.status(), false);
            handedOver = true;
            responder.send(exchange, reply, reply.status() == 200 ? delay : 0, stats::exit);
        } finally {
            if (!handedOver) {
                stats.exit();
                exchange.close();
            }
        }
    }

    private Reply embed(
            EmbedRequest request, EmbeddingServerOptions options, FailMode failure, long arrived)
            throws ApiException {
        String served = options.modelName();
        if (!api.matches(request.model(), served)) {
            throw new ApiException(api.modelNotFound(request.model()));
        }
        List<String> texts = request.texts();
        String marker = options.poisonMarker();
        for (int i = 0; i < texts.size(); i++) {
            if (marker != null && texts.get(i).contains(marker)) {
                throw new ApiException(api.poisoned(i, marker));
            }
        }
        ServedModels models = server.models();
        ModelKind kind = options.model();
        int dimension = models.dimension(kind);
        Integer dims = request.dimensions();
        if (dims != null && dims > dimension) {
            throw new ApiException(
                    api.badRequest(
                            "dimensions must be at most "
                                    + dimension
                                    + " for "
                                    + served
                                    + ", got "
                                    + dims,
                            "dimensions"));
        }
        try {
            long loadNanos = models.load(kind);
            int tokens = 0;
            for (int i = 0; i < texts.size(); i++) {
                if (!request.truncate() && models.exceedsContext(kind, texts.get(i))) {
                    throw new ApiException(api.tooLong(i));
                }
                tokens += models.countTokens(kind, texts.get(i));
            }
            List<float[]> vectors = models.embed(kind, texts);
            if (dims != null && dims < dimension) {
                vectors = shorten(vectors, dims);
            }
            if (failure == FailMode.WRONG_DIMENSION) {
                vectors = shorten(vectors, vectors.isEmpty() ? 0 : vectors.get(0).length - 1);
            }
            server.stats().embedded(texts.size());
            long latency = options.latency(texts.size()).toNanos();
            long total = Math.max(System.nanoTime() - arrived, latency);
            return api.embedded(request, served, vectors, tokens, total, loadNanos);
        } catch (RuntimeException e) {
            LOG.warn("The model {} failed on {} texts", kind, texts.size(), e);
            return api.modelFailed(String.valueOf(e.getMessage()));
        }
    }

    /** The first {@code dims} values of each vector, L2-normalised again (Matryoshka-style). */
    static List<float[]> shorten(List<float[]> vectors, int dims) {
        List<float[]> shorter = new ArrayList<>(vectors.size());
        for (float[] vector : vectors) {
            float[] cut = new float[dims];
            double squares = 0;
            for (int d = 0; d < dims; d++) {
                squares += (double) vector[d] * vector[d];
            }
            double norm = Math.sqrt(squares);
            for (int d = 0; d < dims; d++) {
                cut[d] = norm > 0 ? (float) (vector[d] / norm) : 0f;
            }
            shorter.add(cut);
        }
        return shorter;
    }

    private void answer(HttpExchange exchange, Reply reply) {
        server.stats().answered(reply.status(), false);
        server.responder().send(exchange, reply);
    }
}
