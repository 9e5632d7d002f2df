package io.ragstream.embed;

import org.apache.flink.util.concurrent.ExecutorThreadFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The in-process model as a pool endpoint: its blocking calls run on threads of their own. */
final class InProcessBackend implements EmbeddingBackend {
    private final Embedder model;
    private final ExecutorService threads;

    InProcessBackend(Embedder model, int threads) {
        this.model = model;
        this.threads =
                Executors.newFixedThreadPool(threads, new ExecutorThreadFactory("ragstream-embed"));
    }

    @Override
    public String endpoint() {
        return "in-process";
    }

    @Override
    public String model() {
        return model.model();
    }

    @Override
    public int dimension() {
        return model.dimension();
    }

    @Override
    public CompletableFuture<List<float[]>> embed(List<String> texts) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return model.embed(texts);
                    } catch (Exception e) {
                        // the model ran on this machine: a failure says nothing good about trying
                        // again
                        throw new EmbeddingFailure(
                                EmbeddingFailure.Kind.PERMANENT,
                                0,
                                "in-process " + model.model() + ": " + e,
                                e);
                    }
                },
                threads);
    }

    @Override
    public void close() {
        threads.shutdownNow();
        model.close();
    }
}
