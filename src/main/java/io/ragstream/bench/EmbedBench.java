package io.ragstream.bench;

import io.ragstream.chunk.Chunker;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.ingest.CorpusDocument;
import io.ragstream.ingest.CorpusPublisher;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.job.RagstreamJob;
import io.ragstream.sink.IndexedDocuments;
import io.ragstream.sink.JobStatusCheck;
import io.ragstream.sink.PgVectorSinkOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The job's end-to-end throughput with the in-process model against the raw model's on the
 * same chunk texts, in the same run: what the pipeline (Kafka, Flink, chunking, batching,
 * PostgreSQL with its HNSW index) costs on top of the model. The raw model runs before and after
 * the job and counts at its mean, so a drift of the machine's speed shows in neither alone.
 */
public final class EmbedBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(20);

    private EmbedBench() {}

    public static void run(BenchContext context, int documents, BenchReport report) throws Exception {
        List<CorpusDocument> corpus = context.scifact(documents);
        // rows become visible at checkpoints: a short interval keeps the wait for the last one small
        RagstreamConfig config = context.isolated("embed", "checkpoint.interval=1s");
        List<String> chunks = chunkTexts(config, corpus);
        int batch = config.get(RagstreamOptions.EMBEDDING_BATCH_SIZE);

        double rawBefore = rawChunksPerSecond(chunks, batch);
        Result job = jobChunksPerSecond(config, corpus);
        double rawAfter = rawChunksPerSecond(chunks, batch);
        double raw = (rawBefore + rawAfter) / 2;

        String what = documents + " SciFact docs, " + chunks.size() + " chunks";
        report.add("embed", "raw model, chunks/s (" + what + ", batch " + batch + ")", raw, "");
        report.add("embed", "job end to end, chunks/s (Kafka → pgvector, float16, HNSW)", job.chunksPerSecond(), "");
        report.add("embed", "job / raw model", job.chunksPerSecond() / raw, Goal.atLeast(0.90));
        report.add("embed", "job end to end, documents/s", job.documentsPerSecond(), "");
        report.throughput("the job end to end from Kafka (" + what + ", bench embed)", job.documentsPerSecond());
        if (job.chunks() != chunks.size()) {
            report.add("embed", "warning: the job wrote " + job.chunks() + " chunks, the raw run embedded", chunks.size(), "equal");
        }
    }

    /** The chunks the job will embed: same chunker, same settings. */
    private static List<String> chunkTexts(RagstreamConfig config, List<CorpusDocument> corpus) {
        List<String> texts = new ArrayList<>();
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared()) {
            Chunker chunker = new Chunker(config.get(RagstreamOptions.CHUNK_SIZE), config.get(RagstreamOptions.CHUNK_OVERLAP),
                    model::countTokens);
            for (CorpusDocument doc : corpus) {
                DocumentEvent event = new DocumentEvent(doc.tenant(), doc.id(), null, DocumentEvent.Op.UPSERT,
                        doc.title(), doc.text(), "{}");
                texts.addAll(chunker.split(event.content()));
            }
        }
        return texts;
    }

    private static double rawChunksPerSecond(List<String> texts, int batch) throws Exception {
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared()) {
            model.embed(texts.subList(0, Math.min(batch, texts.size()))); // warm up
            long start = System.nanoTime();
            for (int from = 0; from < texts.size(); from += batch) {
                model.embed(texts.subList(from, Math.min(texts.size(), from + batch)));
            }
            return texts.size() / ((System.nanoTime() - start) / 1e9);
        }
    }

    record Result(double chunksPerSecond, double documentsPerSecond, long chunks) {}

    /** Publishes the corpus to a running job (model loaded) and times it until every row is in. */
    private static Result jobChunksPerSecond(RagstreamConfig config, List<CorpusDocument> corpus) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream-bench-embed");
        try {
            PgVectorSinkOptions pg = PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
            String bootstrap = config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS);
            String topic = config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
            CorpusDocument warmUp = new CorpusDocument("bench", "warm-up", "Warm up", "The job loads its model.", "{}");
            awaitIndexed(job, pg, List.of(warmUp), () -> CorpusPublisher.publish(bootstrap, topic, List.of(warmUp)));

            Instant start = Instant.now();
            long chunks = awaitIndexed(job, pg, corpus, () -> CorpusPublisher.publish(bootstrap, topic, corpus));
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            return new Result(chunks / seconds, corpus.size() / seconds, chunks);
        } finally {
            job.cancel().get();
        }
    }

    private interface Publish {
        void run() throws Exception;
    }

    private static long awaitIndexed(JobClient job, PgVectorSinkOptions pg, List<CorpusDocument> docs, Publish publish) throws Exception {
        Instant since = Instant.now();
        publish.run();
        try (IndexedDocuments indexed = new IndexedDocuments(pg, "bench", docs.stream().map(CorpusDocument::id).toList(), since)) {
            return indexed.await(docs.size(), TIMEOUT, () -> JobStatusCheck.stopped(job), n -> {}).chunks();
        }
    }
}
