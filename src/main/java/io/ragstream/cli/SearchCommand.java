package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.SearchMode;
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
                "Search one tenant's documents by meaning (vector), words (text) or both "
                        + "(hybrid); several queries run in parallel and are fused.")
final class SearchCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Option(
            names = "--tenant",
            defaultValue = "default",
            description = "Tenant to search (never crossed).")
    String tenant;

    @Option(names = "-k", defaultValue = "10", description = "Documents to return.")
    int k;

    @Option(
            names = "--mode",
            paramLabel = "vector|text|hybrid",
            description =
                    "vector: nearest chunks by embedding; "
                            + "text: full-text search of the chunks' words; hybrid: both, fused by reciprocal rank. "
                            + "Default: search.mode of the configuration (hybrid).")
    String mode;

    @Option(names = "--json", description = "Print the hits as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "QUERY")
    List<String> queries;

    @Spec CommandSpec spec;

    /** What --json prints: the request, how scores were made, and the hits in rank order. */
    record JsonResult(
            String tenant,
            List<String> queries,
            int k,
            String mode,
            String scoring,
            List<JsonHit> hits) {}

    record JsonHit(int rank, String docId, int chunkNo, double score, String content) {}

    @Override
    public Integer call() throws Exception {
        if (k < 1) {
            throw new ParameterException(spec.commandLine(), "-k must be at least 1, was " + k);
        }
        RagstreamConfig cfg = config.load();
        SearchOptions options = SearchOptions.from(cfg);
        SearchMode searchMode =
                mode == null ? cfg.get(RagstreamOptions.SEARCH_MODE) : parseMode(mode);
        EmbeddingOptions embedding = EmbeddingOptions.from(cfg);
        // a text search needs no model: not loading it makes it start at once
        try (Embedder model = searchMode.usesVectors() ? embedding.open() : null;
                Searcher searcher =
                        new Searcher(
                                PgVectorSinkOptions.from(cfg, embedding.dimension()),
                                options,
                                model)) {
            List<SearchHit> hits = searcher.searchAll(tenant, queries, k, searchMode);
            if (json) {
                System.out.println(
                        new ObjectMapper()
                                .writerWithDefaultPrettyPrinter()
                                .writeValueAsString(toJson(hits, searchMode)));
            } else {
                print(hits);
            }
        }
        return 0;
    }

    private SearchMode parseMode(String value) {
        for (SearchMode m : SearchMode.values()) {
            if (m.toString().equalsIgnoreCase(value.strip())) {
                return m;
            }
        }
        throw new ParameterException(
                spec.commandLine(), "--mode must be vector, text or hybrid, was '" + value + "'");
    }

    private JsonResult toJson(List<SearchHit> hits, SearchMode searchMode) {
        List<JsonHit> ranked = new ArrayList<>();
        for (SearchHit h : hits) {
            ranked.add(
                    new JsonHit(ranked.size() + 1, h.docId(), h.chunkNo(), h.score(), h.content()));
        }
        return new JsonResult(
                tenant,
                queries,
                k,
                searchMode.toString(),
                scoring(searchMode, queries.size()),
                ranked);
    }

    /**
     * What a hit's score is, for one query: in vector mode the cosine similarity of the best chunk,
     * in text mode the BM25 score of the best chunk, in hybrid mode the two scaled to [0, 1] within
     * their rankings and averaged; for several queries, the fused reciprocal-rank score.
     */
    static String scoring(SearchMode mode, int queries) {
        if (queries > 1) {
            return "rrf";
        }
        return switch (mode) {
            case VECTOR -> "cosine";
            case TEXT -> "bm25";
            case HYBRID -> "relative-score";
        };
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
