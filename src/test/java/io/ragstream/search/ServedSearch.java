package io.ragstream.search;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.sink.DirectWriter;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.TestServices;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code serve-search} for the service's tests: three short documents of tenant "acme" indexed
 * with the real model into the test's tables, served on a free port of 127.0.0.1 with 4 threads,
 * hybrid by default and the default limits, by a {@link Searcher} made by the test (its settings
 * and URL are what tests vary).
 */
final class ServedSearch implements AutoCloseable {
    static final List<String> TEXTS =
            List.of(
                    "Glaciers carve U-shaped valleys as the ice grinds the bedrock.",
                    "A sourdough starter is a culture of wild yeast and lactic acid bacteria.",
                    "Tides are caused mainly by the Moon's gravity pulling on the oceans.");

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final Searcher searcher;
    final SearchService service;

    private ServedSearch(Searcher searcher, SearchService service) {
        this.searcher = searcher;
        this.service = service;
    }

    /** Creates the test's tables and writes {@link #TEXTS} as documents doc-0 to doc-2 of acme. */
    static PgVectorSinkOptions index(TestServices services, String... settings) throws Exception {
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(services.config(settings), OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables();
        List<DocumentUpdate> updates = new ArrayList<>();
        List<float[]> vectors = OnnxMiniLmEmbedder.shared().embed(TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            ChunkRow chunk =
                    new ChunkRow(
                            0, TEXTS.get(i), DocumentChunker.sha256(TEXTS.get(i)), vectors.get(i));
            updates.add(new DocumentUpdate("acme", "doc-" + i, 1, false, "{}", List.of(chunk)));
        }
        try (DirectWriter writer = new DirectWriter(pg)) {
            writer.write(updates);
        }
        return pg;
    }

    static ServedSearch serve(Searcher searcher) throws Exception {
        return serve(searcher, 4, SearchService.Limits.DEFAULTS);
    }

    static ServedSearch serve(Searcher searcher, int threads, SearchService.Limits limits)
            throws Exception {
        return serve(searcher, threads, limits, TenantTokens.OPEN);
    }

    static ServedSearch serve(
            Searcher searcher, int threads, SearchService.Limits limits, TenantTokens tokens)
            throws Exception {
        try {
            return new ServedSearch(
                    searcher,
                    new SearchService(
                            searcher,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            threads,
                            SearchMode.HYBRID,
                            limits,
                            () -> tokens));
        } catch (Exception e) {
            searcher.close();
            throw e;
        }
    }

    HttpResponse<String> post(String body) throws Exception {
        return post(body, null);
    }

    /** With {@code Authorization: authorization} when not null. */
    HttpResponse<String> post(String body, String authorization) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri("/search"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    @Override
    public void close() {
        service.close();
        searcher.close();
    }
}
