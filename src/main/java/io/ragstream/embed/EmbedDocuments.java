package io.ragstream.embed;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.concurrent.ExecutorThreadFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Embeds the changed chunks of a batch of document updates, in backend requests of at most
 * {@code batchSize} texts, and passes the updates on with their vectors filled in.
 */
public final class EmbedDocuments extends RichAsyncFunction<EmbeddingBatch, DocumentUpdate> {
    private static final long serialVersionUID = 1L;

    private final EmbeddingOptions options;
    private transient Embedder embedder;
    private transient ExecutorService executor;
    private transient Counter chunksEmbedded;
    private transient Counter backendRequests;
    private transient Histogram backendMillis;
    private transient Histogram batchSizes;

    public EmbedDocuments(EmbeddingOptions options) {
        this.options = options;
    }

    @Override
    public void open(OpenContext openContext) {
        embedder = options.open();
        // in-process inference blocks a thread; keep it off the task thread
        executor = Executors.newFixedThreadPool(options.maxInFlight(), new ExecutorThreadFactory("ragstream-embed"));
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("ragstream");
        chunksEmbedded = metrics.counter("chunksEmbedded");
        backendRequests = metrics.counter("backendRequests");
        backendMillis = metrics.histogram("backendLatencyMillis", new DescriptiveStatisticsHistogram(1000));
        batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    }

    @Override
    public void asyncInvoke(EmbeddingBatch batch, ResultFuture<DocumentUpdate> result) {
        if (batch.chunksToEmbed() == 0) {
            result.complete(batch.documents());
            return;
        }
        executor.execute(() -> {
            try {
                result.complete(embed(batch));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
    }

    private List<DocumentUpdate> embed(EmbeddingBatch batch) throws Exception {
        List<String> texts = new ArrayList<>(batch.chunksToEmbed());
        for (DocumentUpdate update : batch.documents()) {
            for (ChunkRow chunk : update.chunks()) {
                if (chunk.changed()) {
                    texts.add(chunk.text());
                }
            }
        }
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += options.batchSize()) {
            List<String> request = texts.subList(from, Math.min(texts.size(), from + options.batchSize()));
            long start = System.nanoTime();
            List<float[]> answer = embedder.embed(request);
            backendMillis.update((System.nanoTime() - start) / 1_000_000);
            backendRequests.inc();
            batchSizes.update(request.size());
            checkAnswer(request.size(), answer);
            vectors.addAll(answer);
        }
        chunksEmbedded.inc(texts.size());

        List<DocumentUpdate> out = new ArrayList<>(batch.documents().size());
        int next = 0;
        for (DocumentUpdate update : batch.documents()) {
            List<ChunkRow> chunks = new ArrayList<>(update.chunks().size());
            for (ChunkRow chunk : update.chunks()) {
                chunks.add(chunk.changed() ? chunk.withEmbedding(vectors.get(next++)) : chunk);
            }
            out.add(update.withChunks(chunks));
        }
        return out;
    }

    private void checkAnswer(int asked, List<float[]> answer) {
        if (answer.size() != asked) {
            throw new IllegalStateException(embedder.model() + " returned " + answer.size() + " vectors for " + asked + " texts");
        }
        for (float[] v : answer) {
            if (v.length != embedder.dimension()) {
                throw new IllegalStateException(embedder.model() + " returned a " + v.length
                        + "-dim vector, expected " + embedder.dimension());
            }
        }
    }

    @Override
    public void timeout(EmbeddingBatch batch, ResultFuture<DocumentUpdate> result) {
        // fail the attempt: the job restarts from its last checkpoint and nothing is lost
        result.completeExceptionally(new TimeoutException("embedding " + batch.chunksToEmbed()
                + " chunks took longer than embedding.timeout=" + options.timeout()));
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
        if (embedder != null) {
            embedder.close(); // releases this handle; the shared model goes with the last one
        }
    }
}
