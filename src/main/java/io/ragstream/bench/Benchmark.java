package io.ragstream.bench;

/** One benchmark that {@code bin/ragstream bench NAME} runs: it adds its figures to the report. */
@FunctionalInterface
public interface Benchmark {
    void run(BenchContext context, BenchReport report) throws Exception;
}
