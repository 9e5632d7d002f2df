package io.ragstream.bench;

import io.ragstream.chunk.Chunker;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.job.RagstreamJob;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The job's own chunker ({@link RagstreamJob#chunker}) on texts it once took quadratic time on,
 * each generated at 1 MiB and at 4 MiB: MiB/s for each, and how much longer the 4 MiB text takes (4
 * for a chunker in linear time); then SciFact's corpus, MiB/s and docs/s. Everything runs once
 * untimed first, so the JIT has compiled what is timed; a time is the better of two runs.
 */
final class ChunkBench {
    private static final int MIB = 1024 * 1024;
    private static final int RUNS = 2;

    private ChunkBench() {}

    /** One timed chunking: the best of {@link #RUNS} runs. */
    private record Timing(double seconds, int chunks) {
        double mibPerSecond(long bytes) {
            return bytes / (double) MIB / seconds;
        }
    }

    static void run(BenchContext context, BenchReport report) throws Exception {
        RagstreamConfig config = context.config();
        List<String> scifact =
                context.scifact(Integer.MAX_VALUE).stream().map(CorpusDocument::content).toList();
        try (Chunker chunker = RagstreamJob.chunker(config, EmbeddingOptions.from(config))) {
            String settings =
                    "chunk.size " + chunker.maxTokens() + ", chunk.max-bytes " + chunker.maxBytes();
            for (TextKind kind : TextKind.values()) {
                System.err.printf("chunk: %s%n", kind.description());
                String small = kind.generate(MIB);
                String large = kind.generate(4 * MIB);
                chunker.split(small); // untimed: the JIT compiles this text's paths
                Timing one = time(chunker, List.of(small));
                Timing four = time(chunker, List.of(large));
                String what = kind.description() + " (" + settings + ")";
                report.add(
                        "chunk",
                        what + ": MiB/s at 1 MiB (" + one.chunks() + " chunks)",
                        one.mibPerSecond(bytes(small)),
                        "");
                report.add(
                        "chunk",
                        what + ": MiB/s at 4 MiB (" + four.chunks() + " chunks)",
                        four.mibPerSecond(bytes(large)),
                        "");
                report.add(
                        "chunk",
                        what + ": time at 4 MiB / time at 1 MiB",
                        four.seconds() / one.seconds(),
                        Goal.atMost(5));
            }
            System.err.println("chunk: SciFact");
            time(chunker, scifact); // untimed
            Timing corpus = time(chunker, scifact);
            long bytes = scifact.stream().mapToLong(ChunkBench::bytes).sum();
            String what =
                    "SciFact, "
                            + scifact.size()
                            + " docs as title + blank line + text, "
                            + String.format("%.1f", bytes / (double) MIB)
                            + " MiB → "
                            + corpus.chunks()
                            + " chunks ("
                            + settings
                            + ")";
            report.add("chunk", what + ": MiB/s", corpus.mibPerSecond(bytes), "");
            report.add("chunk", what + ": docs/s", scifact.size() / corpus.seconds(), "");
        }
    }

    private static Timing time(Chunker chunker, List<String> texts) {
        Timing best = null;
        for (int run = 0; run < RUNS; run++) {
            long start = System.nanoTime();
            int chunks = 0;
            for (String text : texts) {
                chunks += chunker.split(text).size();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            best = best == null || seconds < best.seconds() ? new Timing(seconds, chunks) : best;
        }
        return best;
    }

    private static long bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
