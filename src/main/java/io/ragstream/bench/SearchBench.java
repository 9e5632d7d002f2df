package io.ragstream.bench;

import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.Embedder;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.search.Searcher;
import io.ragstream.sink.DirectWriter;
import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of a top-10 search as {@code bin/ragstream search} runs it (the query embedded by the
 * model, then pgvector) over 100,000 chunks: once with one tenant holding them all, so the tenant
 * filter keeps every row, and once with ten tenants of 10,000, so it keeps one row in ten.
 * Embedding 100,000 texts would take half an hour on 2 cores; the rows are SciFact's real stored
 * chunks instead, each tenant a different window of them with every vector moved a little ({@link
 * TenantCopies}), written by the sink's own writer, the HNSW index built after the load.
 */
final class SearchBench {
    static final int CHUNKS = 100_000;
    static final int TENANTS = 10;
    static final int K = 10;

    /**
     * Per dimension of a unit vector: in 384 dimensions the copy keeps a cosine of about 0.995 to
     * the original.
     */
    static final double NOISE = 0.005;

    static final int WARM_UP = 30;

    /** Passes over the 300 test queries that are timed. */
    static final int ROUNDS = 2;

    static final int WRITE_BATCH = 2_000;

    private SearchBench() {}

    static void run(BenchContext context, SciFactIndex index, BenchReport report) throws Exception {
        SciFactIndex.Vectors scifact = index.vectors();
        List<StoredChunks.Chunk> stored = StoredChunks.read(scifact.pg(), SciFactIndex.TENANT);
        TenantCopies copies = new TenantCopies(stored, NOISE, 42);
        List<String> queries = List.copyOf(index.data().queries().values());
        RagstreamConfig base = context.isolated("search");
        report.add(
                "search",
                "the "
                        + CHUNKS
                        + " chunks: SciFact's "
                        + stored.size()
                        + " stored chunk vectors ("
                        + scifact.origin()
                        + "), "
                        + TENANTS
                        + " windows of "
                        + CHUNKS / TENANTS
                        + " (whole documents from a different start), each vector plus "
                        + "Gaussian noise σ "
                        + NOISE
                        + " per dimension (cosine to the original ≈ "
                        + BenchReport.fixed(
                                1 / Math.sqrt(1 + NOISE * NOISE * stored.get(0).vector().length), 3)
                        + "), re-normalised; written by the sink's "
                        + "DocumentWriter, the indexes (HNSW m "
                        + base.get(RagstreamOptions.HNSW_M)
                        + ", ef_construction "
                        + base.get(RagstreamOptions.HNSW_EF_CONSTRUCTION)
                        + ", the text's GIN and HNSW) built after the load; no text embedded",
                "",
                "");

        try (Embedder model = EmbeddingOptions.from(base).open()) {
            double[] embedding = embeddingMillis(model, queries);
            report.add(
                    "search",
                    "query embedding alone, p50 / p95 ms ("
                            + queries.size()
                            + " SciFact test queries)",
                    BenchReport.format(percentile(embedding, 50))
                            + " / "
                            + BenchReport.format(percentile(embedding, 95)),
                    "");

            List<String> tenants = new ArrayList<>();
            for (int t = 0; t < TENANTS; t++) {
                tenants.add("tenant-" + t);
            }
            // the same 100,000 rows both times; only the tenant column differs
            Layout one =
                    new Layout(
                            "one tenant holds all " + CHUNKS + " (the filter keeps every row)",
                            "one",
                            List.of("all"));
            Layout ten =
                    new Layout(
                            TENANTS
                                    + " tenants of "
                                    + CHUNKS / TENANTS
                                    + " (the filter keeps 1 row in "
                                    + TENANTS
                                    + ")",
                            "ten",
                            tenants);
            for (Layout layout : List.of(one, ten)) {
                measure(base, layout, copies, model, queries, report);
            }
        }
    }

    private record Layout(String description, String name, List<String> tenants) {}

    private static void measure(
            RagstreamConfig base,
            Layout layout,
            TenantCopies copies,
            Embedder model,
            List<String> queries,
            BenchReport report)
            throws Exception {
        RagstreamConfig config =
                base.with(
                                "postgres.documents-table",
                                base.get(RagstreamOptions.POSTGRES_DOCUMENTS_TABLE)
                                        + "_"
                                        + layout.name())
                        .with(
                                "postgres.chunks-table",
                                base.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE)
                                        + "_"
                                        + layout.name());
        PgVectorSinkOptions pg = PgVectorSinkOptions.from(config, model.dimension());
        try {
            double[] seconds = load(pg, copies, layout);
            report.add(
                    "search",
                    layout.description() + ": load " + CHUNKS + " rows, s / build the indexes, s",
                    BenchReport.format(seconds[0]) + " / " + BenchReport.format(seconds[1]),
                    "");
            double[] millis = new double[queries.size() * ROUNDS];
            int incomplete = 0;
            try (Searcher searcher = new Searcher(pg, model)) {
                for (int i = 0;
                        i < WARM_UP;
                        i++) { // every tenant's first search also checks its model
                    searcher.search(
                            layout.tenants().get(i % layout.tenants().size()), queries.get(i), K);
                }
                for (int i = 0; i < millis.length; i++) {
                    String tenant = layout.tenants().get(i % layout.tenants().size());
                    long start = System.nanoTime();
                    int found = searcher.search(tenant, queries.get(i % queries.size()), K).size();
                    millis[i] = (System.nanoTime() - start) / 1e6;
                    incomplete += found < K ? 1 : 0;
                }
            }
            String what =
                    "top-" + K + " search, " + layout.description() + ", query embedding included";
            report.add("search", what + ": p50 ms", percentile(millis, 50), "");
            report.add("search", what + ": p95 ms", percentile(millis, 95), Goal.below(30, "ms"));
            report.add("search", what + ": p99 ms", percentile(millis, 99), "");
            if (incomplete > 0) {
                report.add(
                        "search",
                        "warning: searches that found fewer than " + K + " documents",
                        incomplete,
                        "0");
            }
            if (layout.tenants().size() > 1) {
                SearchServiceBench.run(
                        pg, model, layout.tenants(), queries, layout.description(), report);
            }
        } finally {
            BenchTables.drop(pg);
        }
    }

    /**
     * Rows first, indexes after (about 4 times faster than inserting into them); returns both
     * times.
     */
    private static double[] load(PgVectorSinkOptions pg, TenantCopies copies, Layout layout)
            throws Exception {
        pg.prepareTablesForLoad(1); // the tables without their indexes
        long start = System.nanoTime();
        try (DirectWriter writer = new DirectWriter(pg)) {
            for (int t = 0; t < TENANTS; t++) {
                List<DocumentUpdate> updates =
                        copies.tenant("tenant-" + t, t, TENANTS, CHUNKS / TENANTS);
                if (layout.tenants().size() == 1) {
                    String tenant = layout.tenants().get(0);
                    updates =
                            updates.stream()
                                    .map(
                                            u ->
                                                    new DocumentUpdate(
                                                            tenant,
                                                            u.tenant() + "/" + u.docId(),
                                                            u.version(),
                                                            u.deleted(),
                                                            u.metadata(),
                                                            u.chunks()))
                                    .toList();
                }
                for (int from = 0; from < updates.size(); from += WRITE_BATCH) {
                    writer.write(
                            updates.subList(from, Math.min(updates.size(), from + WRITE_BATCH)));
                }
            }
        }
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute("SET maintenance_work_mem = '1GB'"); // the whole graph in memory: no slow
            // on-disk phase
            pg.schema().create(c, pg.hnswM(), pg.hnswEfConstruction());
            // what autovacuum does within a minute of a load: the planner learns how selective a
            // tenant is, and the visibility map lets the text ranking count a tenant's chunks
            // from the primary key alone (a heap page per row without it)
            st.execute("VACUUM (ANALYZE) \"" + pg.schema().chunksTable() + "\"");
        }
        return new double[] {loadSeconds, (System.nanoTime() - start) / 1e9};
    }

    private static double[] embeddingMillis(Embedder model, List<String> queries) throws Exception {
        for (String q : queries.subList(0, WARM_UP)) {
            model.embed(List.of(q));
        }
        double[] millis = new double[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
            long start = System.nanoTime();
            model.embed(List.of(queries.get(i)));
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        return millis;
    }

    /** Nearest rank: the smallest sample that at least p % of the samples do not exceed. */
    static double percentile(double[] samples, double p) {
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
