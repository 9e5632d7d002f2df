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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Embeds the changed chunks of a batch of document updates, in backend requests of at most {@code
 * batchSize} texts, and passes the updates on with their vectors filled in. A text already embedded
 * recently (in any document) or twice in one batch is embedded once. When a backend rejects a
 * request for good, it is split in halves until the texts it rejects are found; those are passed on
 * as rejected, the rest embedded. A misconfigured endpoint rejects no text: the pool moves its work
 * elsewhere or waits, and when it gives up the job fails.
 */
public final class EmbedDocuments extends RichAsyncFunction<EmbeddingBatch, EmbeddedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EmbedDocuments.class);

    private final EmbeddingOptions options;
    private transient EmbeddingPool pool;
    private transient EmbeddingCache cache;
    private transient Counter chunksEmbedded;
    private transient Counter chunksReused;
    private transient Histogram batchSizes;

    public EmbedDocuments(EmbeddingOptions options) {
        this.options = options;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("ragstream");
        pool =
                options.openPool(
                        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                        getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                        new PoolMetrics(metrics));
        cache = new EmbeddingCache(options.cacheMaxEntries(), options.cacheTtl().toMillis());
        chunksEmbedded = metrics.counter("chunksEmbedded");
        chunksReused = metrics.counter("chunksReused");
        batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    }

    @Override
    public void asyncInvoke(EmbeddingBatch batch, ResultFuture<EmbeddedDocument> result) {
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
        chunksReused.inc(reused);
        Map<ByteBuffer, String> rejected = new HashMap<>();
        if (missing.isEmpty()) {
            result.complete(fill(batch, vectors, rejected));
            return;
        }
        List<ByteBuffer> keys = new ArrayList<>(missing.keySet());
        List<String> texts = new ArrayList<>(missing.values());
        List<CompletableFuture<Void>> requests = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += options.batchSize()) {
            int start = from;
            List<String> request =
                    texts.subList(from, Math.min(texts.size(), from + options.batchSize()));
            batchSizes.update(request.size());
            List<ByteBuffer> requestKeys = keys.subList(start, start + request.size());
            requests.add(embedOrReject(requestKeys, request, vectors, rejected));
        }
        CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new))
                .whenComplete(
                        (ok, error) -> {
                            if (error != null) {
                                result.completeExceptionally(error);
                            } else {
                                chunksEmbedded.inc(texts.size() - rejected.size());
                                result.complete(fill(batch, vectors, rejected));
                            }
                        });
    }

    /** Embeds the texts; what a backend rejects for good is narrowed down by halves and noted. */
    private CompletableFuture<Void> embedOrReject(
            List<ByteBuffer> keys,
            List<String> texts,
            Map<ByteBuffer, float[]> vectors,
            Map<ByteBuffer, String> rejected) {
        return pool.embed(texts)
                .handle(
                        (answer, error) -> {
                            if (error == null) {
                                checkAnswer(texts.size(), answer);
                                synchronized (vectors) {
                                    for (int i = 0; i < answer.size(); i++) {
                                        vectors.put(keys.get(i), answer.get(i));
                                        cache.put(keys.get(i).array(), answer.get(i));
                                    }
                                }
                                return CompletableFuture.<Void>completedFuture(null);
                            }
                            Throwable cause =
                                    error instanceof CompletionException && error.getCause() != null
                                            ? error.getCause()
                                            : error;
                            if (!(cause instanceof EmbeddingFailure failure)
                                    || failure.kind() != EmbeddingFailure.Kind.PERMANENT) {
                                // the pool gave up on misconfigured endpoints: fail the job with
                                // its message (web UI, exceptions tab)
                                return CompletableFuture.<Void>failedFuture(cause);
                            }
                            if (texts.size() == 1) {
                                synchronized (vectors) {
                                    rejected.put(keys.get(0), failure.getMessage());
                                }
                                return CompletableFuture.<Void>completedFuture(null);
                            }
                            int half = texts.size() / 2;
                            return CompletableFuture.allOf(
                                    embedOrReject(
                                            keys.subList(0, half),
                                            texts.subList(0, half),
                                            vectors,
                                            rejected),
                                    embedOrReject(
                                            keys.subList(half, texts.size()),
                                            texts.subList(half, texts.size()),
                                            vectors,
                                            rejected));
                        })
                .thenCompose(f -> f);
    }

    private static List<EmbeddedDocument> fill(
            EmbeddingBatch batch,
            Map<ByteBuffer, float[]> vectors,
            Map<ByteBuffer, String> rejected) {
        List<EmbeddedDocument> out = new ArrayList<>(batch.documents().size());
        for (DocumentUpdate update : batch.documents()) {
            List<ChunkRow> chunks = new ArrayList<>(update.chunks().size());
            List<EmbeddedDocument.RejectedChunk> rejectedChunks = new ArrayList<>();
            for (ChunkRow chunk : update.chunks()) {
                if (!chunk.changed()) {
                    chunks.add(chunk);
                    continue;
                }
                ByteBuffer sha = ByteBuffer.wrap(chunk.sha256());
                String reason = rejected.get(sha);
                if (reason != null) {
                    rejectedChunks.add(
                            new EmbeddedDocument.RejectedChunk(
                                    chunk.chunkNo(), chunk.text(), reason));
                }
                chunks.add(chunk.withEmbedding(vectors.get(sha))); // no vector when rejected
            }
            out.add(new EmbeddedDocument(update.withChunks(chunks), List.copyOf(rejectedChunks)));
        }
        return out;
    }

    private void checkAnswer(int asked, List<float[]> answer) {
        if (answer.size() != asked) {
            throw new IllegalStateException(
                    options.model()
                            + " returned "
                            + answer.size()
                            + " vectors for "
                            + asked
                            + " texts");
        }
        for (float[] v : answer) {
            if (v.length != options.dimension()) {
                throw new IllegalStateException(
                        options.model()
                                + " returned a "
                                + v.length
                                + "-dim vector, expected "
                                + options.dimension());
            }
        }
    }

    /**
     * Not a failure: the pool keeps retrying until some endpoint answers, and the job waits
     * (backpressure). Failing here would only restart the job into the same wait.
     */
    @Override
    public void timeout(EmbeddingBatch batch, ResultFuture<EmbeddedDocument> result) {
        LOG.warn(
                "embedding {} chunks is taking longer than embedding.timeout={}; still waiting for the pool "
                        + "({} requests in flight, {} queued, {} healthy and {} misconfigured endpoints)",
                batch.chunksToEmbed(),
                options.timeout(),
                pool.inFlight(),
                pool.queued(),
                pool.healthyEndpoints(),
                pool.misconfiguredEndpoints());
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close(); // closes the backends; the shared in-process model goes with its last
            // handle
        }
    }

    /** The pool's reports as Flink metrics in the operator's ragstream group. */
    private final class PoolMetrics implements PoolListener {
        private final Counter requests;
        private final Counter transientFailures;
        private final Counter permanentFailures;
        private final Counter misconfiguredFailures;
        private final Counter retries;
        private final Histogram latency;

        PoolMetrics(MetricGroup metrics) {
            requests = metrics.counter("backendRequests");
            transientFailures = metrics.addGroup("backendFailures").counter("transient");
            permanentFailures = metrics.addGroup("backendFailures").counter("permanent");
            misconfiguredFailures = metrics.addGroup("backendFailures").counter("misconfigured");
            retries = metrics.counter("backendRetries");
            latency =
                    metrics.histogram(
                            "backendLatencyMillis", new DescriptiveStatisticsHistogram(1000));
            metrics.gauge("inFlightRequests", () -> pool == null ? 0 : pool.inFlight());
            metrics.gauge("healthyEndpoints", () -> pool == null ? 0 : pool.healthyEndpoints());
            metrics.gauge(
                    "misconfiguredEndpoints",
                    () -> pool == null ? 0 : pool.misconfiguredEndpoints());
            metrics.gauge("queuedRequests", () -> pool == null ? 0 : pool.queued());
        }

        @Override
        public void onRequest(String endpoint, int texts) {
            requests.inc();
        }

        @Override
        public void onSuccess(String endpoint, long latencyMillis) {
            latency.update(latencyMillis);
        }

        @Override
        public void onFailure(String endpoint, EmbeddingFailure failure) {
            switch (failure.kind()) {
                case TRANSIENT -> transientFailures.inc();
                case PERMANENT -> permanentFailures.inc();
                case MISCONFIGURED -> misconfiguredFailures.inc();
            }
        }

        @Override
        public void onRetry(int attempt) {
            retries.inc();
        }
    }
}
