package io.ragstream.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report: a goal's verdict beside each figure, and the seeds' targets from the measured rates.
 */
class BenchReportTest {

    @Test
    void aFigureWithAGoalSaysWhetherItMetIt() {
        BenchReport report = new BenchReport();
        report.add("search", "p95 ms", 21.4, Goal.below(30, "ms"));
        report.add("scifact", "NDCG@10", 0.658734, Goal.within(0.64508, 0.01));
        report.add("embed", "raw model, chunks/s", 63.25, "");

        assertThat(report.toMarkdown())
                .isEqualTo(
                        """
                | bench | figure | value | goal | met |
                |---|---|---:|---|---|
                | search | p95 ms | 21.4 | < 30 ms | yes |
                | scifact | NDCG@10 | 0.65873 | within 0.01 of 0.64508 | **no** |
                | embed | raw model, chunks/s | 63.3 |  |  |
                """);
    }

    @Test
    void goalsTestTheirBounds() {
        assertThat(Goal.atLeast(0.9).metBy(0.9)).isTrue();
        assertThat(Goal.atLeast(0.9).metBy(0.89)).isFalse();
        assertThat(Goal.below(30, "ms").metBy(30)).isFalse();
        assertThat(Goal.within(0.64508, 0.01).metBy(0.655)).isTrue();
        assertThat(Goal.within(0.64508, 0.01).metBy(0.634)).isFalse();
    }

    @Test
    void everyMeasuredRateIsSetAgainstTheThreeSeedTargets() {
        BenchReport report = new BenchReport();
        report.throughput("backfill of 5183 docs", 20.0);

        String doc = report.toDocument("Measured somewhere.");

        assertThat(doc)
                .startsWith("# ragstream benchmarks\n\nMeasured somewhere.\n\n## Figures\n")
                .contains("| 150 docs/min | 1200 docs/min | yes | backfill of 5183 docs |")
                .contains(
                        "| 1000 docs in < 30 s | 50.0 s | **no** | the same run's rate, for 1000 docs |")
                .contains(
                        "| 10–20 files/s | 20.0 docs/s | yes | the same run's rate, a document standing for a file |");
    }

    @Test
    void withoutAMeasuredRateTheTargetsSaySoAndWhichBenchMeasuresThem() {
        assertThat(new BenchReport().toDocument(""))
                .contains("| not measured |")
                .contains("bench embed or bench scifact");
    }
}
