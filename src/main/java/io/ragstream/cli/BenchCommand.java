package io.ragstream.cli;

import io.ragstream.bench.BenchContext;
import io.ragstream.bench.BenchReport;
import io.ragstream.bench.Benchmark;
import io.ragstream.bench.Benchmarks;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Run benchmarks (all, or the named ones) and print a BENCHMARKS.md-style report: "
                        + "every figure beside its goal, and the seeds' targets.")
final class BenchCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Parameters(
            arity = "0..*",
            paramLabel = "NAME",
            description =
                    "chunk, pool, embed, embed-models, sink, backfill, status, scifact, search, quantization (default: all, in that order)")
    List<String> names;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description =
                    "SciFact in BEIR format (default: ../shared/data/scifact), read in place.")
    Path data;

    @Option(
            names = {"--documents", "--docs"},
            paramLabel = "N",
            description =
                    "SciFact documents a bench uses (default: embed and backfill 1,000, embed after a warm-up job on 600 others and 200 more, quantization all 5,183).")
    Integer documents;

    @Option(
            names = "--rows",
            defaultValue = "4000",
            description = "Chunk rows each run of the sink bench writes.")
    int rows;

    @Override
    public Integer call() throws Exception {
        double loadAtStart = BenchReport.loadAverage();
        Path scifact =
                data != null
                        ? data
                        : RagstreamCli.home().resolve("../shared/data/scifact").normalize();
        RagstreamConfig settings = config.load();
        BenchContext context =
                new BenchContext(settings, scifact, Long.toString(System.currentTimeMillis(), 36));
        Map<String, Benchmark> all =
                Benchmarks.all(
                        context, documents, rows, RagstreamCli.home().resolve(".ragstream/cache"));
        List<String> run = names == null || names.isEmpty() ? new ArrayList<>(all.keySet()) : names;
        for (String name : run) {
            if (!all.containsKey(name)) {
                System.err.println(
                        "no bench called '"
                                + name
                                + "'; there are: "
                                + String.join(", ", all.keySet()));
                return 2;
            }
        }
        BenchReport report = new BenchReport();
        for (String name : run) {
            all.get(name).run(context, report);
        }
        System.out.println(
                report.toDocument(
                        BenchReport.machine(loadAtStart)
                                + "  \nBenchmarks: "
                                + String.join(", ", run)
                                + "; settings: embedding "
                                + settings.get(RagstreamOptions.EMBEDDING_MODEL)
                                + " ("
                                + settings.get(RagstreamOptions.EMBEDDING_BACKEND)
                                + "), quantization "
                                + settings.get(RagstreamOptions.QUANTIZATION)
                                + ", chunk.size "
                                + settings.get(RagstreamOptions.CHUNK_SIZE)
                                + "; run id "
                                + context.runId()
                                + "."));
        return 0;
    }
}
