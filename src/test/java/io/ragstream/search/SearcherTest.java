package io.ragstream.search;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Reciprocal rank fusion on hand-made rankings, with the scores worked out by hand. */
class SearcherTest {

    private static SearchHit hit(String doc, double score) {
        return new SearchHit(doc, 0, "text of " + doc, score);
    }

    @Test
    void aDocumentScoresTheSumOfItsReciprocalRanks() {
        List<SearchHit> first = List.of(hit("a", 0.9), hit("b", 0.8), hit("c", 0.7));
        List<SearchHit> second = List.of(hit("c", 0.95), hit("a", 0.5));

        List<SearchHit> fused = Searcher.fuse(List.of(first, second), 10);

        // a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62
        assertThat(fused).extracting(SearchHit::docId).containsExactly("a", "c", "b");
        assertThat(fused.get(0).score()).isCloseTo(1.0 / 61 + 1.0 / 62, within(1e-12));
        assertThat(fused.get(1).score()).isCloseTo(1.0 / 63 + 1.0 / 61, within(1e-12));
        assertThat(fused.get(2).score()).isCloseTo(1.0 / 62, within(1e-12));
    }

    @Test
    void aDocumentKeepsTheChunkThatMatchedBest() {
        SearchHit weak = new SearchHit("a", 3, "weak chunk", 0.4);
        SearchHit strong = new SearchHit("a", 1, "strong chunk", 0.9);

        List<SearchHit> fused = Searcher.fuse(List.of(List.of(weak), List.of(strong)), 10);

        assertThat(fused)
                .singleElement()
                .satisfies(
                        h -> {
                            assertThat(h.chunkNo()).isEqualTo(1);
                            assertThat(h.content()).isEqualTo("strong chunk");
                        });
    }

    @Test
    void aDocumentIsShownByTheChunkOfItsBestPlacingWhateverTheScoresOfOtherRankings() {
        // hybrid: a vector ranking (cosine) and a text ranking (full-text rank) score on different
        // scales
        List<SearchHit> vector =
                List.of(hit("b", 0.8), new SearchHit("a", 2, "vector's chunk", 0.7));
        List<SearchHit> text = List.of(new SearchHit("a", 5, "text's chunk", 0.05), hit("b", 0.01));

        List<SearchHit> fused = Searcher.fuse(List.of(vector, text), 10);

        assertThat(fused)
                .filteredOn(h -> h.docId().equals("a"))
                .singleElement()
                .satisfies(h -> assertThat(h.chunkNo()).isEqualTo(5));
        assertThat(fused)
                .filteredOn(h -> h.docId().equals("b"))
                .singleElement()
                .satisfies(h -> assertThat(h.content()).isEqualTo("text of b"));
    }

    @Test
    void hybridScalesEachRankingsScoresToItsRangeAndAddsThemByWeight() {
        List<SearchHit> vector = List.of(hit("a", 0.9), hit("b", 0.7), hit("c", 0.5));
        List<SearchHit> text = List.of(hit("c", 12.0), hit("d", 8.0), hit("a", 2.0));

        List<SearchHit> fused = Searcher.fuseScores(vector, text, 0.5, 10);

        // a: 0.5·1 + 0.5·0, b: 0.5·0.5, c: 0.5·0 + 0.5·1, d: 0.5·0.6
        assertThat(fused).extracting(SearchHit::docId).containsExactly("a", "c", "d", "b");
        assertThat(fused)
                .extracting(SearchHit::score)
                .usingElementComparator(
                        (x, y) -> Math.abs(x - y) < 1e-12 ? 0 : Double.compare(x, y))
                .containsExactly(0.5, 0.5, 0.3, 0.25);
        assertThat(Searcher.fuseScores(vector, text, 0.75, 2))
                .extracting(SearchHit::docId)
                .containsExactly("a", "b");
        assertThat(Searcher.fuseScores(List.of(hit("a", 0.4)), List.of(), 0.5, 10))
                .as("a ranking of one, the other empty")
                .singleElement()
                .extracting(SearchHit::score)
                .isEqualTo(0.5);
        assertThat(Searcher.fuseScores(List.of(), List.of(), 0.5, 10)).isEmpty();
    }

    @Test
    void aHybridHitIsShownByTheChunkOfTheRankingThatGaveItMore() {
        List<SearchHit> vector =
                List.of(hit("b", 0.9), new SearchHit("a", 2, "vector's chunk", 0.8), hit("c", 0.1));
        List<SearchHit> text = List.of(new SearchHit("a", 5, "text's chunk", 9.0), hit("c", 1.0));

        assertThat(Searcher.fuseScores(vector, text, 0.5, 10))
                .filteredOn(h -> h.docId().equals("a"))
                .singleElement()
                .satisfies(h -> assertThat(h.chunkNo()).isEqualTo(5));
    }

    @Test
    void keepsTheTopKAndBreaksTiesByDocumentId() {
        List<SearchHit> first = List.of(hit("z", 0.9), hit("y", 0.8));
        List<SearchHit> second = List.of(hit("b", 0.9), hit("x", 0.8));

        List<SearchHit> fused = Searcher.fuse(List.of(first, second), 3);

        assertThat(fused).extracting(SearchHit::docId).containsExactly("b", "z", "x");
    }

    @Test
    void nothingFoundFusesToNothing() {
        assertThat(Searcher.fuse(List.of(List.of(), List.of()), 10)).isEmpty();
    }
}
