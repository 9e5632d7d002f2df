package io.ragstream.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** NDCG and recall on rankings small enough to work out by hand. */
class RetrievalMetricsTest {

    @Test
    void ndcgIsOneWhenTheRelevantDocumentsLeadTheRanking() {
        assertThat(RetrievalMetrics.ndcg(List.of("a", "b", "x"), Set.of("a", "b"), 10))
                .isEqualTo(1.0);
    }

    @Test
    void ndcgDiscountsARelevantDocumentByTheLogOfItsRank() {
        // one relevant document at rank 3: (1 / log2 4) / (1 / log2 2) = 0.5
        assertThat(RetrievalMetrics.ndcg(List.of("x", "y", "a"), Set.of("a"), 10))
                .isCloseTo(0.5, within(1e-12));
        // two relevant, found at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2 3)
        double expected = 1.5 / (1 + 1 / (Math.log(3) / Math.log(2)));
        assertThat(RetrievalMetrics.ndcg(List.of("a", "x", "b"), Set.of("a", "b"), 10))
                .isCloseTo(expected, within(1e-12));
    }

    @Test
    void ndcgIgnoresWhatRanksPastK() {
        assertThat(RetrievalMetrics.ndcg(List.of("x", "y", "a"), Set.of("a"), 2)).isZero();
    }

    @Test
    void recallIsTheShareOfRelevantDocumentsInTheTopK() {
        assertThat(RetrievalMetrics.recall(List.of("a", "x", "b"), Set.of("a", "b", "c"), 100))
                .isCloseTo(2.0 / 3, within(1e-12));
        assertThat(RetrievalMetrics.recall(List.of("a", "x", "b"), Set.of("a", "b", "c"), 2))
                .isCloseTo(1.0 / 3, within(1e-12));
        assertThat(RetrievalMetrics.recall(List.of(), Set.of("a"), 100)).isZero();
    }
}
