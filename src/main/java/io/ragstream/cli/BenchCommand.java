package io.ragstream.cli;

import io.ragstream.bench.BenchContext;
import io.ragstream.bench.BenchReport;
import io.ragstream.bench.EmbedBench;
import io.ragstream.bench.PoolBench;
import io.ragstream.bench.QuantizationBench;
import io.ragstream.bench.SinkBench;
import io.ragstream.bench.StatusLatencyBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", description = "Run benchmarks (all, or the named ones) and print a Markdown table of figures and goals.")
final class BenchCommand implements Callable<Integer> {
    private static final List<String> ALL = List.of("pool", "embed", "sink", "quantization", "status");

    @Mixin
    ConfigMixin config;

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "pool, embed, sink, quantization, status (default: all)")
    List<String> names;

    @Option(names = "--data", paramLabel = "DIR", description = "SciFact in BEIR format (default: ../shared/data/scifact), read in place.")
    Path data;

    @Option(names = {"--documents", "--docs"}, paramLabel = "N",
            description = "SciFact documents a bench uses (default: embed 300, quantization all 5,183).")
    Integer documents;

    @Option(names = "--rows", defaultValue = "4000", description = "Chunk rows each run of the sink bench writes.")
    int rows;

    @Override
    public Integer call() throws Exception {
        List<String> run = names == null || names.isEmpty() ? ALL : names;
        for (String name : run) {
            if (!ALL.contains(name)) {
                System.err.println("no bench called '" + name + "'; there are: " + String.join(", ", ALL));
                return 2;
            }
        }
        Path scifact = data != null ? data : RagstreamCli.home().resolve("../shared/data/scifact").normalize();
        BenchContext context = new BenchContext(config.load(), scifact, Long.toString(System.currentTimeMillis(), 36));
        BenchReport report = new BenchReport();
        for (String name : run) {
            switch (name) {
                case "pool" -> PoolBench.run(report);
                case "embed" -> EmbedBench.run(context, documents == null ? 300 : documents, report);
                case "sink" -> SinkBench.run(context, rows, report);
                case "quantization" -> QuantizationBench.run(context, documents == null ? Integer.MAX_VALUE : documents,
                        RagstreamCli.home().resolve(".ragstream/cache"), report);
                case "status" -> StatusLatencyBench.run(context, report);
                default -> throw new IllegalStateException(name);
            }
        }
        System.out.println(report.toMarkdown());
        return 0;
    }
}
