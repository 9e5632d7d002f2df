package io.ragstream.bench;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What every benchmark needs: the settings (pointing at the local services), a corpus read in
 * place, and names of its own for topics and tables so runs never mix.
 */
public record BenchContext(RagstreamConfig config, Path data, String runId) {

    /**
     * The first {@code limit} SciFact documents, read from {@code corpus.jsonl.gz} where it lies.
     */
    public List<CorpusDocument> scifact(int limit) throws IOException {
        Path corpus = data.resolve("corpus.jsonl.gz");
        if (!Files.isRegularFile(corpus)) {
            throw new IOException("no SciFact corpus at " + corpus + " (give --data DIR)");
        }
        List<CorpusDocument> docs = new CorpusReader("bench").read(List.of(corpus));
        return docs.subList(0, Math.min(limit, docs.size()));
    }

    /** Settings for one benchmark's own topic, tables and consumer group. */
    public RagstreamConfig isolated(String name, String... overrides) {
        String prefix = "bench_" + name + "_" + runId;
        RagstreamConfig c =
                config.with("kafka.documents-topic", "bench." + name + "." + runId)
                        .with("kafka.dlq-topic", "bench." + name + "." + runId + ".dlq")
                        .with("kafka.group-id", "bench-" + name + "-" + runId)
                        .with("kafka.partition-discovery-interval", "1s")
                        .with("postgres.documents-table", prefix + "_documents")
                        .with("postgres.chunks-table", prefix + "_chunks");
        for (String o : overrides) {
            int eq = o.indexOf('=');
            c = c.with(o.substring(0, eq), o.substring(eq + 1));
        }
        return c;
    }
}
