package io.ragstream.bench;

import io.ragstream.chunk.Chunker;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.InProcessModel;
import io.ragstream.embed.OnnxMiniLmEmbedder;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The job's end-to-end throughput with the in-process model against the raw model's on the same
 * chunk texts, in the same run: what the pipeline (Kafka, Flink, chunking, batching, PostgreSQL
 * with its HNSW index) costs on top of the model. The raw model runs before and after the job and
 * counts at its mean, so a drift of the machine's speed shows in neither alone. Both sides first
 * run on other SciFact documents, so that what is timed is their steady state, not the JIT
 * compiling the job's code paths: a first job runs on tables of its own (its rows would make the
 * timed table's HNSW inserts dearer), then the timed job warms up on a few documents of its own
 * table, as a long-running job in a warm JVM would be.
 */
public final class EmbedBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(20);
    private static final int WARM_UP_DOCUMENTS = 200;

    /**
     * Documents a first, untimed job runs on tables of its own, so the JIT has compiled the job's
     * code paths.
     */
    private static final int JIT_WARM_UP_DOCUMENTS = 600;

    /** The seeds' target: 1000 documents in under 30 s, with the int8 MiniLM on this machine. */
    static final String TARGET_MODEL = "all-MiniLM-L6-v2-q";

    static final double TARGET_SECONDS = 30;

    private EmbedBench() {}

    /** {@code bench embed-models}: the embed bench once per in-process model, in one report. */
    public static void runEveryModel(BenchContext context, int documents, BenchReport report)
            throws Exception {
        for (InProcessModel model : InProcessModel.values()) {
            run(
                    new BenchContext(
                            context.config().with("embedding.model", model.modelName()),
                            context.data(),
                            context.runId() + "_" + model.ordinal()),
                    documents,
                    report);
        }
    }

    /** Word pieces computed, padding included, and those of the texts themselves. */
    record Padding(long computed, long tokens) {
        /** The part of the computed word pieces that is padding. */
        double share() {
            return computed == 0 ? 0 : (computed - tokens) / (double) computed;
        }
    }

    /**
     * The padding the in-process model computes on {@code chunks} as the job batches them: requests
     * of {@code embedding.batch-size} in arrival order, each sorted by length into runs of the
     * model's batch size, every run padded to its longest text.
     */
    static Padding padding(EmbeddingOptions embedding, List<String> chunks) {
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared(embedding.inProcessModel())) {
            int[] lengths = new int[chunks.size()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = Math.min(model.countTokens(chunks.get(i)) + 2, model.maxTokens());
            }
            return padding(lengths, embedding.batchSize(), model.options().maxBatchSize());
        }
    }

    static Padding padding(int[] lengths, int request, int run) {
        long computed = 0;
        long tokens = 0;
        for (int from = 0; from < lengths.length; from += request) {
            int[] batch =
                    Arrays.copyOfRange(lengths, from, Math.min(lengths.length, from + request));
            Arrays.sort(batch);
            for (int start = 0; start < batch.length; start += run) {
                int end = Math.min(batch.length, start + run);
                computed += (long) batch[end - 1] * (end - start);
                for (int i = start; i < end; i++) {
                    tokens += batch[i];
                }
            }
        }
        return new Padding(computed, tokens);
    }

    public static void run(BenchContext context, int documents, BenchReport report)
            throws Exception {
        List<CorpusDocument> all =
                context.scifact(JIT_WARM_UP_DOCUMENTS + WARM_UP_DOCUMENTS + documents);
        // --docs N times N documents; a corpus too small for all three parts shares itself out in
        // thirds
        boolean enough = all.size() == JIT_WARM_UP_DOCUMENTS + WARM_UP_DOCUMENTS + documents;
        int jitSize = enough ? JIT_WARM_UP_DOCUMENTS : all.size() / 3;
        int warmUpSize = enough ? WARM_UP_DOCUMENTS : all.size() / 3;
        List<CorpusDocument> jitWarmUp = all.subList(0, jitSize);
        List<CorpusDocument> warmUp = all.subList(jitSize, jitSize + warmUpSize);
        List<CorpusDocument> corpus = all.subList(jitSize + warmUpSize, all.size());
        // rows become visible at checkpoints: a short interval keeps the wait for the last one
        // small
        RagstreamConfig config = context.isolated("embed", "checkpoint.interval=1s");
        EmbeddingOptions embedding = EmbeddingOptions.from(config);
        List<String> warmUpChunks = chunkTexts(config, embedding, warmUp);
        List<String> chunks = chunkTexts(config, embedding, corpus);

        double rawBefore = rawChunksPerSecond(embedding, warmUpChunks, chunks);
        jobChunksPerSecond(
                context.isolated("embed_jit", "checkpoint.interval=1s"), // untimed: the JIT's turn
                jitWarmUp.subList(0, jitWarmUp.size() / 2),
                jitWarmUp.subList(jitWarmUp.size() / 2, jitWarmUp.size()));
        Result job = jobChunksPerSecond(config, warmUp, corpus);
        double rawAfter = rawChunksPerSecond(embedding, warmUpChunks, chunks);
        double raw = (rawBefore + rawAfter) / 2;
        String model = embedding.model();
        Padding padding = padding(embedding, chunks);

        String what =
                corpus.size()
                        + " SciFact docs, "
                        + chunks.size()
                        + " chunks, after "
                        + warmUp.size()
                        + " to warm up, in a JVM that ran the job on "
                        + jitWarmUp.size()
                        + " others";
        report.add(
                "embed",
                model
                        + ": padding share, word pieces computed for padding ("
                        + padding.tokens()
                        + " real, batches of "
                        + embedding.batchSize()
                        + " in arrival order, sorted by length into runs of "
                        + embedding.inProcessModel().maxBatchSize()
                        + ")",
                padding.share(),
                "");
        report.add(
                "embed",
                model
                        + ": raw model, chunks/s ("
                        + what
                        + ", batch "
                        + embedding.batchSize()
                        + ", "
                        + embedding.maxInFlight()
                        + " at once, "
                        + embedding.inProcessModel().intraOpThreads()
                        + " threads each)",
                raw,
                "");
        report.add(
                "embed",
                model + ": job end to end, chunks/s (Kafka → pgvector, float16, HNSW)",
                job.chunksPerSecond(),
                "");
        report.add(
                "embed",
                model + ": job / raw model",
                job.chunksPerSecond() / raw,
                Goal.atLeast(0.90));
        report.add("embed", model + ": job end to end, documents/s", job.documentsPerSecond(), "");
        String seconds = model + ": job end to end, s for the " + corpus.size() + " docs";
        double jobSeconds = corpus.size() / job.documentsPerSecond();
        if (model.equals(TARGET_MODEL) && corpus.size() == 1000) {
            report.add("embed", seconds, jobSeconds, Goal.below(TARGET_SECONDS, "s"));
        } else {
            report.add("embed", seconds, jobSeconds, "");
        }
        report.add(
                "embed",
                model + ": of which the raw model, s (its chunks at the raw rate)",
                chunks.size() / raw,
                "");
        report.throughput(
                "the job end to end from Kafka (" + what + ", bench embed)",
                job.documentsPerSecond());
        if (job.timedDocuments() < corpus.size() / 2) {
            // a corpus this small is indexed while the warm-up still runs: there is nothing left
            // to time, and the rates above are not the job's
            report.add(
                    "embed",
                    "warning: documents indexed after the clock started, of the "
                            + corpus.size()
                            + " timed (give more --docs)",
                    job.timedDocuments(),
                    "at least half");
        }
        if (job.chunks() != chunks.size()) {
            report.add(
                    "embed",
                    "warning: the job wrote " + job.chunks() + " chunks, the raw run embedded",
                    chunks.size(),
                    "equal");
        }
    }

    /** The chunks the job will embed: the job's chunker. */
    private static List<String> chunkTexts(
            RagstreamConfig config, EmbeddingOptions embedding, List<CorpusDocument> corpus) {
        List<String> texts = new ArrayList<>();
        try (Chunker chunker = RagstreamJob.chunker(config, embedding)) {
            for (CorpusDocument doc : corpus) {
                texts.addAll(chunker.split(doc.content()));
            }
        }
        return texts;
    }

    /**
     * The model as the job runs it (same batches, as many at once, as many threads each), with
     * nothing around it.
     */
    private static double rawChunksPerSecond(
            EmbeddingOptions embedding, List<String> warmUp, List<String> texts) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(embedding.maxInFlight());
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared(embedding.inProcessModel())) {
            embedInBatches(model, callers, warmUp, embedding.batchSize());
            long start = System.nanoTime();
            embedInBatches(model, callers, texts, embedding.batchSize());
            return texts.size() / ((System.nanoTime() - start) / 1e9);
        } finally {
            callers.shutdownNow();
        }
    }

    private static void embedInBatches(
            OnnxMiniLmEmbedder model, ExecutorService callers, List<String> texts, int batch)
            throws Exception {
        List<Future<?>> batches = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += batch) {
            List<String> slice = texts.subList(from, Math.min(texts.size(), from + batch));
            batches.add(callers.submit(() -> model.embed(slice)));
        }
        for (Future<?> done : batches) {
            done.get();
        }
    }

    /** {@code timedDocuments}: the documents indexed after the clock started. */
    record Result(
            double chunksPerSecond, double documentsPerSecond, long chunks, long timedDocuments) {}

    /**
     * Times a running job, warmed up on other documents, from the moment every warm-up document is
     * in to the moment every timed one is. The timed documents are published while the job is still
     * busy with the warm-up, so the producer is not timed and the job never runs dry; chunks the
     * job had written before the clock started are not counted.
     */
    private static Result jobChunksPerSecond(
            RagstreamConfig config, List<CorpusDocument> warmUp, List<CorpusDocument> corpus)
            throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream-bench-embed");
        Instant since = Instant.now();
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
        String topic = config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        Result result;
        try (IndexedDocuments warmUpIn = indexed(pg, warmUp, since);
                IndexedDocuments corpusIn = indexed(pg, corpus, since)) {
            CorpusPublisher.publish(config, topic, warmUp);
            await(warmUpIn, warmUp.size() / 2, job);
            CorpusPublisher.publish(config, topic, corpus);
            await(warmUpIn, warmUp.size(), job);

            Instant start = Instant.now();
            IndexedDocuments.Count before = corpusIn.count();
            IndexedDocuments.Count after = await(corpusIn, corpus.size(), job);
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            result =
                    new Result(
                            (after.chunks() - before.chunks()) / seconds,
                            (after.documents() - before.documents()) / seconds,
                            after.chunks(),
                            after.documents() - before.documents());
        } finally {
            job.cancel().get();
        }
        BenchTables.drop(pg); // kept when the measure fails, to look into
        return result;
    }

    private static IndexedDocuments indexed(
            PgVectorSinkOptions pg, List<CorpusDocument> docs, Instant since) throws Exception {
        return new IndexedDocuments(
                pg, "bench", docs.stream().map(CorpusDocument::id).toList(), since);
    }

    private static IndexedDocuments.Count await(
            IndexedDocuments indexed, int documents, JobClient job) throws Exception {
        return indexed.await(documents, TIMEOUT, () -> JobStatusCheck.stopped(job), n -> {});
    }
}
