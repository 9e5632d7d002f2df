package io.ragstream.embed;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Vectors of recently embedded chunk texts, by the text's SHA-256: identical text in another
 * document is not sent to the backend again while it is here. Bounded by entries (least recently
 * used go first) and by age. Thread-safe.
 */
public final class EmbeddingCache {
    private final int maxEntries;
    private final long ttlMillis;
    private final LongSupplier clock;
    private final LinkedHashMap<ByteBuffer, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

    private record Entry(float[] vector, long storedAt) {}

    public EmbeddingCache(int maxEntries, long ttlMillis) {
        this(maxEntries, ttlMillis, System::currentTimeMillis);
    }

    EmbeddingCache(int maxEntries, long ttlMillis, LongSupplier clock) {
        this.maxEntries = maxEntries;
        this.ttlMillis = ttlMillis;
        this.clock = clock;
    }

    /** The vector of the text with this hash, or null if it is not cached (or too old). */
    public synchronized float[] get(byte[] sha256) {
        ByteBuffer key = ByteBuffer.wrap(sha256);
        Entry entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (clock.getAsLong() - entry.storedAt() > ttlMillis) {
            entries.remove(key);
            return null;
        }
        return entry.vector();
    }

    public synchronized void put(byte[] sha256, float[] vector) {
        if (maxEntries <= 0) {
            return;
        }
        entries.put(ByteBuffer.wrap(sha256.clone()), new Entry(vector, clock.getAsLong()));
        Iterator<Map.Entry<ByteBuffer, Entry>> eldest = entries.entrySet().iterator();
        while (entries.size() > maxEntries && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    public synchronized int size() {
        return entries.size();
    }
}
