package io.ragstream.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The figures of a benchmark run as a Markdown table: what was measured, its value, its goal and
 * whether the value meets it; and the indexing rates the seeds' targets are checked against.
 */
public final class BenchReport {
    private record Row(String bench, String figure, String value, String goal, String met) {}

    /** Documents indexed per second by one measured run, and what that run was. */
    public record Throughput(String source, double documentsPerSecond) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<Throughput> throughputs = new ArrayList<>();

    public void add(String bench, String figure, String value, String goal) {
        rows.add(new Row(bench, figure, value, goal, ""));
    }

    public void add(String bench, String figure, double value, String goal) {
        add(bench, figure, format(value), goal);
    }

    public void add(String bench, String figure, double value, Goal goal) {
        rows.add(
                new Row(
                        bench,
                        figure,
                        goal.format(value),
                        goal.text(),
                        goal.metBy(value) ? "yes" : "**no**"));
    }

    /** An indexing rate for the seeds' targets (documents/min, 1000 documents, files/s). */
    public void throughput(String source, double documentsPerSecond) {
        throughputs.add(new Throughput(source, documentsPerSecond));
    }

    public List<Throughput> throughputs() {
        return List.copyOf(throughputs);
    }

    static String format(double value) {
        return String.format(
                Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
    }

    static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    public String toMarkdown() {
        StringBuilder out =
                new StringBuilder(
                        "| bench | figure | value | goal | met |\n|---|---|---:|---|---|\n");
        for (Row row : rows) {
            out.append("| ")
                    .append(
                            String.join(
                                    " | ",
                                    row.bench(),
                                    row.figure(),
                                    row.value(),
                                    row.goal(),
                                    row.met()))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** Where and when a run took place, and how busy the machine was, for the top of the report. */
    public static String machine(double loadAtStart) {
        String cpu = "unknown CPU";
        try {
            cpu =
                    Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                            .filter(l -> l.startsWith("model name"))
                            .map(l -> l.substring(l.indexOf(':') + 1).strip())
                            .findFirst()
                            .orElse(cpu);
        } catch (IOException e) {
            // not Linux: the core count and the JVM still say something
        }
        long memory =
                ((com.sun.management.OperatingSystemMXBean)
                                ManagementFactory.getOperatingSystemMXBean())
                        .getTotalMemorySize();
        return String.format(
                Locale.ROOT,
                "Measured %s on %s, %d cores, %.0f GB memory; Java %s, %s %s. "
                        + "Load average (1 min) at the start %.1f, at the end %.1f: other work on the machine slows every figure.",
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                        .format(ZonedDateTime.now(ZoneOffset.UTC)),
                cpu,
                Runtime.getRuntime().availableProcessors(),
                memory / 1e9,
                System.getProperty("java.version"),
                System.getProperty("os.name"),
                System.getProperty("os.version"),
                loadAtStart,
                loadAverage());
    }

    public static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** BENCHMARKS.md: where it ran, every figure beside its goal, and the seeds' targets. */
    public String toDocument(String machine) {
        return "# ragstream benchmarks\n\n"
                + machine
                + "\n\n## Figures\n\n"
                + toMarkdown()
                + "\n## The seeds' targets\n\n"
                + SeedTargets.toMarkdown(throughputs);
    }
}
