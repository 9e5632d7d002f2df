package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.search.SearchAnswer;
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

import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "search",
        mixinStandardHelpOptions = true,
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
                            + "text: full-text search of the chunks' words (BM25); hybrid: both, their scores scaled and summed. "
                            + "Default: search.mode of the configuration (hybrid).")
    String mode;

    @Option(names = "--json", description = "Print the hits as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "QUERY")
    List<String> queries;

    @Spec CommandSpec spec;

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
                                .writeValueAsString(
                                        SearchAnswer.of(tenant, queries, k, searchMode, hits)));
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
