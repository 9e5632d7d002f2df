package io.ragstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The figures of a benchmark run as a Markdown table: what was measured, its value, its goal. */
public final class BenchReport {
    private final List<String[]> rows = new ArrayList<>();

    public void add(String bench, String figure, String value, String goal) {
        rows.add(new String[] {bench, figure, value, goal});
    }

    public void add(String bench, String figure, double value, String goal) {
        add(bench, figure, format(value), goal);
    }

    static String format(double value) {
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
    }

    public String toMarkdown() {
        StringBuilder out = new StringBuilder("| bench | figure | value | goal |\n|---|---|---:|---|\n");
        for (String[] row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return out.toString();
    }
}
