package io.ragstream.embed;

import io.ragstream.chunk.DocumentChunker;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddingCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void keepsTheMostRecentlyUsedUpToItsSize() {
        EmbeddingCache cache = new EmbeddingCache(2, 60_000, now::get);
        cache.put(sha("a"), new float[] {1});
        cache.put(sha("b"), new float[] {2});
        assertThat(cache.get(sha("a"))).containsExactly(1); // a is now the most recently used
        cache.put(sha("c"), new float[] {3});

        assertThat(cache.get(sha("b"))).isNull();
        assertThat(cache.get(sha("a"))).containsExactly(1);
        assertThat(cache.get(sha("c"))).containsExactly(3);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void forgetsWhatIsOlderThanItsTtl() {
        EmbeddingCache cache = new EmbeddingCache(10, 5_000, now::get);
        cache.put(sha("a"), new float[] {1});
        now.addAndGet(5_000);
        assertThat(cache.get(sha("a"))).containsExactly(1);
        now.addAndGet(1);
        assertThat(cache.get(sha("a"))).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void sizeZeroTurnsItOff() {
        EmbeddingCache cache = new EmbeddingCache(0, 5_000, now::get);
        cache.put(sha("a"), new float[] {1});
        assertThat(cache.get(sha("a"))).isNull();
    }

    @Test
    void aKeyIsItsBytesNotItsArray() {
        EmbeddingCache cache = new EmbeddingCache(10, 5_000, now::get);
        byte[] key = sha("a");
        cache.put(key, new float[] {1});
        key[0]++; // the caller's array changing later does not corrupt the cache
        assertThat(cache.get(sha("a"))).containsExactly(1);
    }

    private static byte[] sha(String text) {
        return DocumentChunker.sha256(text);
    }
}
