package io.ragstream.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every benchmark by name, in the order {@code bin/ragstream bench} with no name runs them: a new
 * one is one line here. Cheap ones first; {@code search} reuses the index {@code scifact} built.
 */
public final class Benchmarks {

    private Benchmarks() {}

    /**
     * @param documents SciFact documents the embed and quantization benches use (null: their
     *     defaults)
     * @param sinkRows chunk rows each run of the sink bench writes
     * @param cache where the quantization and scifact benches keep SciFact's vectors between runs
     */
    public static Map<String, Benchmark> all(
            BenchContext context, Integer documents, int sinkRows, Path cache) {
        SciFactIndex scifact = new SciFactIndex(context);
        Map<String, Benchmark> all = new LinkedHashMap<>();
        all.put("chunk", (c, report) -> ChunkBench.run(c, report));
        all.put("pool", (c, report) -> PoolBench.run(report));
        all.put(
                "embed",
                (c, report) -> EmbedBench.run(c, documents == null ? 1000 : documents, report));
        all.put(
                "embed-models",
                (c, report) ->
                        EmbedBench.runEveryModel(c, documents == null ? 1000 : documents, report));
        all.put("sink", (c, report) -> SinkBench.run(c, sinkRows, report));
        all.put(
                "backfill",
                (c, report) -> BackfillBench.run(c, documents == null ? 1000 : documents, report));
        all.put("status", (c, report) -> StatusLatencyBench.run(c, report));
        all.put("scifact", (c, report) -> SciFactBench.run(scifact, cache, report));
        all.put("search", (c, report) -> SearchBench.run(c, scifact, report));
        all.put(
                "quantization",
                (c, report) ->
                        QuantizationBench.run(
                                c,
                                documents == null ? Integer.MAX_VALUE : documents,
                                cache,
                                report));
        return all;
    }
}
