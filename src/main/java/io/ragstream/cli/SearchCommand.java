package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.search.SearchHit;
import io.ragstream.search.SearchOptions;
import io.ragstream.search.Searcher;
import io.ragstream.sink.PgVectorSinkOptions;

import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "search",
        description =
                "Search one tenant's documents; several queries run in parallel and are fused.")
final class SearchCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Option(
            names = "--tenant",
            defaultValue = "default",
            description = "Tenant to search (never crossed).")
    String tenant;

    @Option(names = "-k", defaultValue = "10", description = "Documents to return.")
    int k;

    @Option(names = "--json", description = "Print the hits as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "QUERY")
    List<String> queries;

    @Spec CommandSpec spec;

    /** What --json prints: the request, how scores were made, and the hits in rank order. */
    record JsonResult(
            String tenant, List<String> queries, int k, String scoring, List<JsonHit> hits) {}

    record JsonHit(int rank, String docId, int chunkNo, double score, String content) {}

    @Override
    public Integer call() throws Exception {
        if (k < 1) {
            throw new ParameterException(spec.commandLine(), "-k must be at least 1, was " + k);
        }
        RagstreamConfig cfg = config.load();
        EmbeddingOptions embedding = EmbeddingOptions.from(cfg);
        try (Embedder model = embedding.open();
                Searcher searcher =
                        new Searcher(
                                PgVectorSinkOptions.from(cfg, embedding.dimension()),
                                SearchOptions.from(cfg),
                                model)) {
            List<SearchHit> hits = searcher.searchAll(tenant, queries, k);
            if (json) {
                System.out.println(
                        new ObjectMapper()
                                .writerWithDefaultPrettyPrinter()
                                .writeValueAsString(toJson(hits)));
            } else {
                print(hits);
            }
        }
        return 0;
    }

    private JsonResult toJson(List<SearchHit> hits) {
        List<JsonHit> ranked = new ArrayList<>();
        for (SearchHit h : hits) {
            ranked.add(
                    new JsonHit(ranked.size() + 1, h.docId(), h.chunkNo(), h.score(), h.content()));
        }
        // one query: cosine similarity of the best chunk; several: the fused reciprocal-rank score
        return new JsonResult(tenant, queries, k, queries.size() == 1 ? "cosine" : "rrf", ranked);
    }

    static void print(List<SearchHit> hits) {
        if (hits.isEmpty()) {
            System.out.println("  (no results)");
        }
        for (int i = 0; i < hits.size(); i++) {
            SearchHit h = hits.get(i);
            String snippet = h.content().replaceAll("\\s+", " ");
            System.out.printf(
                    "  %2d. %.4f  %s  [chunk %d]  %s%n",
                    i + 1,
                    h.score(),
                    h.docId(),
                    h.chunkNo(),
                    snippet.length() > 90 ? snippet.substring(0, 90) + "…" : snippet);
        }
    }
}
