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

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Embeds the changed chunks of a batch of document updates, in backend requests of at most
 * {@code batchSize} texts, and passes the updates on with their vectors filled in. A text
 * already embedded recently (in any document) or twice in one batch is embedded once.
 */
public final class EmbedDocuments extends RichAsyncFunction<EmbeddingBatch, DocumentUpdate> {
    private static final long serialVersionUID = 1L;

    private final EmbeddingOptions options;
    private transient Embedder embedder;
    private transient ExecutorService executor;
    private transient EmbeddingCache cache;
    private transient Counter chunksEmbedded;
    private transient Counter chunksReused;
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
        cache = new EmbeddingCache(options.cacheMaxEntries(), options.cacheTtl().toMillis());
        chunksEmbedded = metrics.counter("chunksEmbedded");
        chunksReused = metrics.counter("chunksReused");
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
        // the vector of every changed chunk's text, by hash: from the cache, else to embed once
        Map<ByteBuffer, float[]> vectors = new HashMap<>();
        Map<ByteBuffer, String> missing = new LinkedHashMap<>();
        int reused = 0;
        for (DocumentUpdate update : batch.documents()) {
            for (ChunkRow chunk : update.chunks()) {
                if (!chunk.changed()) {
                    continue;
                }
                ByteBuffer sha = ByteBuffer.wrap(chunk.sha256());
                if (vectors.containsKey(sha) || missing.containsKey(sha)) {
                    reused++;
                    continue;
                }
                float[] cached = cache.get(chunk.sha256());
                if (cached != null) {
                    vectors.put(sha, cached);
                    reused++;
                } else {
                    missing.put(sha, chunk.text());
                }
            }
        }
        List<ByteBuffer> keys = new ArrayList<>(missing.keySet());
        List<String> texts = new ArrayList<>(missing.values());
        for (int from = 0; from < texts.size(); from += options.batchSize()) {
            int to = Math.min(texts.size(), from + options.batchSize());
            List<float[]> answer = request(texts.subList(from, to));
            for (int i = from; i < to; i++) {
                float[] vector = answer.get(i - from);
                vectors.put(keys.get(i), vector);
                cache.put(keys.get(i).array(), vector);
            }
        }
        chunksEmbedded.inc(texts.size());
        chunksReused.inc(reused);

        List<DocumentUpdate> out = new ArrayList<>(batch.documents().size());
        for (DocumentUpdate update : batch.documents()) {
            List<ChunkRow> chunks = new ArrayList<>(update.chunks().size());
            for (ChunkRow chunk : update.chunks()) {
                chunks.add(chunk.changed() ? chunk.withEmbedding(vectors.get(ByteBuffer.wrap(chunk.sha256()))) : chunk);
            }
            out.add(update.withChunks(chunks));
        }
        return out;
    }

    private List<float[]> request(List<String> texts) throws Exception {
        long start = System.nanoTime();
        List<float[]> answer = embedder.embed(texts);
        backendMillis.update((System.nanoTime() - start) / 1_000_000);
        backendRequests.inc();
        batchSizes.update(texts.size());
        checkAnswer(texts.size(), answer);
        return answer;
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
