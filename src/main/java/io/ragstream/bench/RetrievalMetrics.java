package io.ragstream.bench;

import java.util.List;
import java.util.Set;

/**
 * BEIR's retrieval measures for binary relevance, as pytrec_eval computes them (which is what MTEB
 * reports): NDCG@k with gain 1 / log2(rank + 1), and recall@k.
 */
final class RetrievalMetrics {

    private RetrievalMetrics() {}

    static double ndcg(List<String> ranking, Set<String> relevant, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            if (relevant.contains(ranking.get(i))) {
                dcg += discount(i);
            }
        }
        double ideal = 0;
        for (int i = 0; i < Math.min(k, relevant.size()); i++) {
            ideal += discount(i);
        }
        return ideal == 0 ? 0 : dcg / ideal;
    }

    static double recall(List<String> ranking, Set<String> relevant, int k) {
        if (relevant.isEmpty()) {
            return 0;
        }
        long found = ranking.stream().limit(k).filter(relevant::contains).count();
        return (double) found / relevant.size();
    }

    /** 1 / log2(position + 2): position 0 counts fully, position 1 by 1/log2(3), ... */
    private static double discount(int position) {
        return Math.log(2) / Math.log(position + 2);
    }
}
