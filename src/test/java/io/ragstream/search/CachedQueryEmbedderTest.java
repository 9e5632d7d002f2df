package io.ragstream.search;

import io.ragstream.embed.Embedder;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CachedQueryEmbedderTest {

    /** Vectors that say which text they are of, and a record of what was asked. */
    private static final class CountingEmbedder implements Embedder {
        final List<String> asked = new ArrayList<>();

        @Override
        public String model() {
            return "counting";
        }

        @Override
        public int dimension() {
            return 1;
        }

        @Override
        public List<float[]> embed(List<String> texts) {
            asked.addAll(texts);
            return texts.stream().map(t -> new float[] {t.length()}).toList();
        }

        @Override
        public void close() {}
    }

    @Test
    void embedsOnlyTheQueriesItHasNotSeenAndKeepsTheOrder() throws Exception {
        CountingEmbedder model = new CountingEmbedder();
        CachedQueryEmbedder cached = new CachedQueryEmbedder(model, 10);

        cached.embed(List.of("a", "bb"));
        List<float[]> vectors = cached.embed(List.of("ccc", "a", "bb", "ccc"));

        assertThat(vectors).extracting(v -> v[0]).containsExactly(3f, 1f, 2f, 3f);
        assertThat(model.asked).containsExactly("a", "bb", "ccc", "ccc");
        assertThat(cached.hits()).isEqualTo(2);
        assertThat(cached.misses()).isEqualTo(4);
    }

    @Test
    void forgetsTheLeastRecentlyUsedPastItsSize() throws Exception {
        CountingEmbedder model = new CountingEmbedder();
        CachedQueryEmbedder cached = new CachedQueryEmbedder(model, 2);

        cached.embed(List.of("a"));
        cached.embed(List.of("b"));
        cached.embed(List.of("a")); // a is now the most recent
        cached.embed(List.of("c")); // b goes
        cached.embed(List.of("a", "b"));

        assertThat(model.asked).containsExactly("a", "b", "c", "b");
    }
}
