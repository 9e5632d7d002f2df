package io.ragstream.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every benchmark by name, in the order {@code bin/ragstream bench} with no name runs them: a
 * new one is one line here. Cheap ones first; {@code search} reuses the index {@code scifact}
 * built.
 */
public final class Benchmarks {

    private Benchmarks() {}

    /** @param embedDocuments SciFact documents the embed bench indexes */
    public static Map<String, Benchmark> all(BenchContext context, int embedDocuments) {
        SciFactIndex scifact = new SciFactIndex(context);
        Map<String, Benchmark> all = new LinkedHashMap<>();
        all.put("pool", (c, report) -> PoolBench.run(report));
        all.put("embed", (c, report) -> EmbedBench.run(c, embedDocuments, report));
        all.put("scifact", (c, report) -> SciFactBench.run(scifact, report));
        all.put("search", (c, report) -> SearchBench.run(c, scifact, report));
        return all;
    }
}
