package io.ragstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.search.SearchHit;
import io.ragstream.search.SearchOptions;
import io.ragstream.search.Searcher;
import io.ragstream.sink.PgVectorSinkOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "search", description = "Search one tenant's documents; several queries run in parallel and are fused.")
final class SearchCommand implements Callable<Integer> {
    @Mixin
    ConfigMixin config;

    @Option(names = "--tenant", defaultValue = "default", description = "Tenant to search (never crossed).")
    String tenant;

    @Option(names = "-k", defaultValue = "10", description = "Documents to return.")
    int k;

    @Option(names = "--json", description = "Print the hits as JSON.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "QUERY")
    List<String> queries;

    @Override
    public Integer call() throws Exception {
        RagstreamConfig cfg = config.load();
        EmbeddingOptions embedding = EmbeddingOptions.from(cfg);
        try (Embedder model = embedding.open();
             Searcher searcher = new Searcher(PgVectorSinkOptions.from(cfg, embedding.dimension()),
                     SearchOptions.from(cfg), model)) {
            List<SearchHit> hits = searcher.searchAll(tenant, queries, k);
            if (json) {
                System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(hits));
            } else {
                print(hits);
            }
        }
        return 0;
    }

    static void print(List<SearchHit> hits) {
        if (hits.isEmpty()) {
            System.out.println("  (no results)");
        }
        for (int i = 0; i < hits.size(); i++) {
            SearchHit h = hits.get(i);
            String snippet = h.content().replaceAll("\\s+", " ");
            System.out.printf("  %2d. %.4f  %s  [chunk %d]  %s%n", i + 1, h.score(), h.docId(), h.chunkNo(),
                    snippet.length() > 90 ? snippet.substring(0, 90) + "…" : snippet);
        }
    }
}
