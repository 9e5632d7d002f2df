package io.ragstream.search;

import io.ragstream.chunk.DocumentChunker;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingCache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link Embedder} that keeps the vectors of recent queries (least recently used go first): a
 * search service sees the same queries again and again, and embedding one costs more than the
 * search itself.
 */
public final class CachedQueryEmbedder implements Embedder {
    private static final long NO_EXPIRY = Long.MAX_VALUE;

    private final Embedder model;
    private final boolean closesModel;
    private final EmbeddingCache cache;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /** Closing it closes the model. */
    public CachedQueryEmbedder(Embedder model, int maxEntries) {
        this(model, maxEntries, true);
    }

    private CachedQueryEmbedder(Embedder model, int maxEntries, boolean closesModel) {
        this.model = model;
        this.closesModel = closesModel;
        this.cache = new EmbeddingCache(maxEntries, NO_EXPIRY);
    }

    /** A cache in front of a model that outlives it: closing the cache leaves the model open. */
    public static CachedQueryEmbedder sharing(Embedder model, int maxEntries) {
        return new CachedQueryEmbedder(model, maxEntries, false);
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
    public List<float[]> embed(List<String> texts) throws Exception {
        float[][] vectors = new float[texts.size()][];
        List<String> missing = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            vectors[i] = cache.get(key(texts.get(i)));
            if (vectors[i] == null) {
                missing.add(texts.get(i));
                at.add(i);
            }
        }
        hits.addAndGet(texts.size() - missing.size());
        misses.addAndGet(missing.size());
        if (!missing.isEmpty()) {
            List<float[]> embedded = model.embed(missing);
            for (int j = 0; j < missing.size(); j++) {
                vectors[at.get(j)] = embedded.get(j);
                cache.put(key(missing.get(j)), embedded.get(j));
            }
        }
        return List.of(vectors);
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    private static byte[] key(String query) {
        return DocumentChunker.sha256(query);
    }

    @Override
    public void close() {
        if (closesModel) {
            model.close();
        }
    }
}
