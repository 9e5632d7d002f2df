package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.corpus.CorpusReader;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.search.SearchHit;
import io.ragstream.search.Searcher;
import io.ragstream.sink.IndexedDocuments;
import io.ragstream.sink.JobStatusCheck;
import io.ragstream.sink.PgVectorSinkOptions;

import org.apache.flink.core.execution.JobClient;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Run the job, publish a sample corpus, wait until it is indexed, run sample searches.")
final class DemoCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Option(
            names = "--corpus",
            paramLabel = "PATH",
            description =
                    "A folder of text files, JSONL or a BEIR corpus.jsonl(.gz) (default: this project's README, one document per section).")
    Path corpus;

    @Option(
            names = "--tenant",
            defaultValue = "demo",
            description = "Tenant the demo documents go to.")
    String tenant;

    @Option(
            names = "--searches",
            defaultValue = "5",
            description = "Sample searches: titles of indexed documents as queries.")
    int searches;

    @Option(
            names = "--exit-when-done",
            description = "Stop the job and exit after the sample searches.")
    boolean exitWhenDone;

    @Option(
            names = "--timeout",
            defaultValue = "PT10M",
            description = "Give up waiting for indexing after this long (ISO-8601).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        RagstreamConfig cfg = config.load();
        CorpusReader reader = new CorpusReader(tenant);
        List<CorpusDocument> docs =
                corpus != null
                        ? reader.read(List.of(corpus))
                        : reader.markdownSections(RagstreamCli.home().resolve("README.md"));
        System.out.println(
                "sample corpus: "
                        + docs.size()
                        + " documents"
                        + (corpus != null ? " from " + corpus : " (sections of README.md)"));

        JobClient job = LocalFlink.start(cfg, LocalFlink.Restore.NONE);
        try {
            EmbeddingOptions embedding = EmbeddingOptions.from(cfg);
            PgVectorSinkOptions pg = PgVectorSinkOptions.from(cfg, embedding.dimension());
            Instant start = Instant.now();
            CorpusPublisher.publish(cfg, cfg.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC), docs);
            long chunks = awaitIndexed(job, pg, docs, start);
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            System.out.printf(
                    "indexed %d documents (%d chunks) in %.1f s: %.1f documents/s, %.1f chunks/s%n",
                    docs.size(), chunks, seconds, docs.size() / seconds, chunks / seconds);

            int found = sampleSearches(pg, embedding, docs);
            int asked =
                    Math.min(searches, (int) docs.stream().filter(d -> d.title() != null).count());
            System.out.printf(
                    "%d of %d sample searches found their document first%n", found, asked);
            if (!exitWhenDone) {
                System.out.println(
                        "the job keeps running: web UI on http://localhost:8081; try "
                                + "bin/ragstream search --tenant "
                                + tenant
                                + " \"your question\"; Ctrl-C stops it");
                job.getJobExecutionResult().get();
            }
            // the built-in corpus is a self-check; on any other corpus the count is information
            return corpus != null || found == asked ? 0 : 1;
        } finally {
            if (exitWhenDone) {
                job.cancel().get();
            }
        }
    }

    /**
     * Waits until every published document has been written by this run; returns its chunk count.
     */
    private long awaitIndexed(
            JobClient job, PgVectorSinkOptions pg, List<CorpusDocument> docs, Instant since)
            throws Exception {
        List<String> ids = docs.stream().map(CorpusDocument::id).toList();
        try (IndexedDocuments indexed = new IndexedDocuments(pg, tenant, ids, since);
                ProgressBar bar =
                        new ProgressBarBuilder()
                                .setTaskName("index")
                                .setInitialMax(docs.size())
                                .setUnit(" docs", 1)
                                .build()) {
            return indexed.await(
                            docs.size(), timeout, () -> JobStatusCheck.stopped(job), bar::stepTo)
                    .chunks();
        }
    }

    private int sampleSearches(
            PgVectorSinkOptions pg, EmbeddingOptions embedding, List<CorpusDocument> docs)
            throws Exception {
        int found = 0;
        try (Embedder model = embedding.open();
                Searcher searcher = new Searcher(pg, model)) {
            for (CorpusDocument doc :
                    docs.stream().filter(d -> d.title() != null).limit(searches).toList()) {
                List<SearchHit> hits = searcher.search(tenant, doc.title(), 3);
                boolean first = !hits.isEmpty() && hits.get(0).docId().equals(doc.id());
                found += first ? 1 : 0;
                System.out.printf(
                        "%nsearch \"%s\"  %s%n",
                        doc.title(),
                        first
                                ? "-> found " + doc.id() + " first"
                                : "-> expected " + doc.id() + " first");
                SearchCommand.print(hits);
            }
        }
        return found;
    }
}
