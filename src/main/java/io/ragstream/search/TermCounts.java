package io.ragstream.search;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How many of a tenant's chunks there are, and how many hold a word: the statistics of BM25's
 * inverse document frequency, kept for a while (least recently used go first, and none older than
 * its time to live, a second for a count of none). Counting a common word reads every chunk that
 * holds it, which would cost a text search more than the ranking itself; a word's weight that is a
 * minute old ranks the same. Thread-safe.
 */
final class TermCounts {
    /** How long a count is used: what a search may lag behind the tenant's writes. */
    static final Duration TIME_TO_LIVE = Duration.ofSeconds(60);

    /**
     * How long a count of none is used: a word no chunk holds weighs nothing, so a document indexed
     * just after a search for its words would otherwise be found by them only a minute later. It
     * costs little to count again: the GIN index has no entry to read.
     */
    static final Duration NONE_TIME_TO_LIVE = Duration.ofSeconds(1);

    /** About 100 bytes each. */
    static final int MAX_ENTRIES = 100_000;

    /** {@code word} null: the tenant's chunks. */
    private record Key(String tenant, String word) {}

    private record Count(long chunks, long countedAt) {}

    /** Counts what it is asked, in the tenant's rows as they are now. */
    @FunctionalInterface
    interface Counter {
        /**
         * The tenant's chunks (when {@code tenantToo}; else anything), then the chunks holding each
         * word, in the order given.
         */
        long[] count(String tenant, List<String> words, boolean tenantToo) throws SQLException;
    }

    private final int maxEntries;
    private final long timeToLiveNanos;
    private final long noneTimeToLiveNanos;
    private final LongSupplier clock;
    private final LinkedHashMap<Key, Count> counts = new LinkedHashMap<>(16, 0.75f, true);

    TermCounts() {
        this(MAX_ENTRIES, TIME_TO_LIVE, NONE_TIME_TO_LIVE, System::nanoTime);
    }

    TermCounts(int maxEntries, Duration timeToLive, Duration noneTimeToLive, LongSupplier clock) {
        this.maxEntries = maxEntries;
        this.timeToLiveNanos = timeToLive.toNanos();
        this.noneTimeToLiveNanos = noneTimeToLive.toNanos();
        this.clock = clock;
    }

    /**
     * The tenant's chunks (key null) and the chunks holding each word; what is missing or too old
     * is counted now, all in one call of {@code counter}.
     */
    Map<String, Long> of(String tenant, List<String> words, Counter counter) throws SQLException {
        Map<String, Long> found = new HashMap<>();
        List<String> missing = new ArrayList<>();
        boolean chunksMissing;
        synchronized (this) {
            Long chunks = cached(new Key(tenant, null));
            chunksMissing = chunks == null;
            if (!chunksMissing) {
                found.put(null, chunks);
            }
            for (String word : words) {
                Long count = cached(new Key(tenant, word));
                if (count == null) {
                    missing.add(word);
                } else {
                    found.put(word, count);
                }
            }
        }
        if (!chunksMissing && missing.isEmpty()) {
            return found;
        }
        // a word counted again within the tenant's time (one no chunk held a second ago) leaves
        // the tenant's count, which costs a read of all its chunks, as it is
        long[] counted = counter.count(tenant, missing, chunksMissing);
        long now = clock.getAsLong();
        synchronized (this) {
            if (chunksMissing) {
                put(new Key(tenant, null), counted[0], now);
                found.put(null, counted[0]);
            }
            for (int i = 0; i < missing.size(); i++) {
                put(new Key(tenant, missing.get(i)), counted[i + 1], now);
                found.put(missing.get(i), counted[i + 1]);
            }
        }
        return found;
    }

    private Long cached(Key key) {
        Count count = counts.get(key);
        if (count == null) {
            return null;
        }
        long timeToLive = count.chunks() == 0 ? noneTimeToLiveNanos : timeToLiveNanos;
        if (clock.getAsLong() - count.countedAt() > timeToLive) {
            counts.remove(key);
            return null;
        }
        return count.chunks();
    }

    private void put(Key key, long chunks, long now) {
        counts.put(key, new Count(chunks, now));
        Iterator<Map.Entry<Key, Count>> eldest = counts.entrySet().iterator();
        while (counts.size() > maxEntries && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    synchronized int size() {
        return counts.size();
    }
}
