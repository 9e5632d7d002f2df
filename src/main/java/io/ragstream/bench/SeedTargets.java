package io.ragstream.bench;

import java.util.List;

/**
 * The project seeds' throughput targets, each beside the indexing rates this run measured: a rate
 * in documents per second answers all three (one document standing for one file).
 */
final class SeedTargets {

    private SeedTargets() {}

    static String toMarkdown(List<BenchReport.Throughput> measured) {
        StringBuilder out =
                new StringBuilder(
                        "| target | measured | met | measured by |\n|---|---:|---|---|\n");
        if (measured.isEmpty()) {
            return out.append(
                            "| 150 docs/min, 1000 docs in < 30 s, 10–20 files/s | not measured | | "
                                    + "bench embed or bench scifact measures them |\n")
                    .toString();
        }
        for (BenchReport.Throughput t : measured) {
            double perSecond = t.documentsPerSecond();
            row(
                    out,
                    "150 docs/min",
                    BenchReport.format(perSecond * 60) + " docs/min",
                    perSecond * 60 >= 150,
                    t.source());
            row(
                    out,
                    "1000 docs in < 30 s",
                    BenchReport.format(1000 / perSecond) + " s",
                    1000 / perSecond < 30,
                    "the same run's rate, for 1000 docs");
            row(
                    out,
                    "10–20 files/s",
                    BenchReport.format(perSecond) + " docs/s",
                    perSecond >= 10,
                    "the same run's rate, a document standing for a file");
        }
        return out.toString();
    }

    private static void row(
            StringBuilder out, String target, String value, boolean met, String how) {
        out.append("| ")
                .append(String.join(" | ", target, value, met ? "yes" : "**no**", how))
                .append(" |\n");
    }
}
