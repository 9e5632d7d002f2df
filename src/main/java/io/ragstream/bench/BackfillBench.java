package io.ragstream.bench;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.job.RagstreamJob;
import io.ragstream.sink.PgVectorSinkOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The two backfills side by side in one run, with the same model and settings: SciFact's first
 * documents from a JSONL file (FileSource) and the same documents from a PostgreSQL table
 * (flink-connector-jdbc's JdbcSource, in key ranges), each into empty tables of its own, after a
 * warm-up backfill that loads the model. Timed from the job's submission to its end; the HNSW index
 * build that follows a backfill into a new table is the same for both and left out.
 */
final class BackfillBench {
    private BackfillBench() {}

    static void run(BenchContext context, int documents, BenchReport report) throws Exception {
        List<CorpusDocument> docs = context.scifact(documents);
        Path dir = Files.createTempDirectory("ragstream-bench-backfill");
        RagstreamConfig source = context.isolated("backfill_source");
        String table = "bench_backfill_" + context.runId() + "_rows";
        List<RagstreamConfig> targets = new ArrayList<>();
        try {
            Path file = write(dir.resolve("documents.jsonl"), docs);
            Path warmUp =
                    write(dir.resolve("warm-up.jsonl"), docs.subList(0, Math.min(50, docs.size())));
            load(source, table, docs);

            RagstreamConfig warm = context.isolated("backfill_warmup");
            targets.add(warm);
            run(warm, env -> RagstreamJob.buildBackfill(env, warm, List.of(warmUp)));

            RagstreamConfig fromFile = context.isolated("backfill_file");
            targets.add(fromFile);
            double fileSeconds =
                    run(fromFile, env -> RagstreamJob.buildBackfill(env, fromFile, List.of(file)));
            check(fromFile, docs.size(), "the file backfill");

            RagstreamConfig fromTable =
                    context.isolated("backfill_table", "backfill.split-column=row_no");
            targets.add(fromTable);
            String[] read = new String[1];
            double tableSeconds =
                    run(
                            fromTable,
                            env ->
                                    read[0] =
                                            RagstreamJob.buildTableBackfill(env, fromTable, table)
                                                    .description());
            check(fromTable, docs.size(), "the table backfill");

            int n = docs.size();
            report.add(
                    "backfill",
                    "file backfill (JSONL, FileSource), documents/s (" + n + " SciFact documents)",
                    n / fileSeconds,
                    "");
            report.add(
                    "backfill",
                    "table backfill (JdbcSource, "
                            + fromTable.get(RagstreamOptions.BACKFILL_SPLITS)
                            + " key ranges), documents/s",
                    n / tableSeconds,
                    "");
            report.add("backfill", "table / file rate", fileSeconds / tableSeconds, "");
            System.err.println("bench: the table backfill read " + read[0]);
        } finally {
            for (RagstreamConfig target : targets) {
                drop(target, null);
            }
            drop(source, table);
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private interface JobBuilder {
        void build(StreamExecutionEnvironment env) throws Exception;
    }

    /** Seconds from the job's submission to its end. */
    private static double run(RagstreamConfig config, JobBuilder job) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        long start = System.nanoTime();
        job.build(env);
        env.execute("ragstream-bench-backfill");
        return (System.nanoTime() - start) / 1e9;
    }

    private static Path write(Path file, List<CorpusDocument> docs) throws IOException {
        List<String> lines = new ArrayList<>();
        for (CorpusDocument doc : docs) {
            lines.add(new String(doc.toEventJson(), StandardCharsets.UTF_8));
        }
        return Files.write(file, lines);
    }

    /** The documents as rows of a table, keyed by their number in the corpus. */
    private static void load(RagstreamConfig config, String table, List<CorpusDocument> docs)
            throws SQLException {
        try (Connection c = pg(config).connect()) {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE "
                                + table
                                + " (row_no bigint PRIMARY KEY, id text, tenant text, title text,"
                                + " text text, metadata jsonb)");
            }
            try (PreparedStatement insert =
                    c.prepareStatement(
                            "INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?, ?::jsonb)")) {
                long row = 0;
                for (CorpusDocument doc : docs) {
                    insert.setLong(1, row++);
                    insert.setString(2, doc.id());
                    insert.setString(3, doc.tenant());
                    insert.setString(4, doc.title());
                    insert.setString(5, doc.text());
                    insert.setString(6, doc.metadata() == null ? "{}" : doc.metadata());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    /** A rate over part of the documents would mislead: every one must be in the table. */
    private static void check(RagstreamConfig config, int documents, String what)
            throws SQLException {
        PgVectorSinkOptions pg = pg(config);
        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT count(*) FROM \""
                                        + pg.schema().documentsTable()
                                        + "\" WHERE NOT deleted")) {
            rs.next();
            if (rs.getLong(1) != documents) {
                throw new IllegalStateException(
                        what
                                + " indexed "
                                + rs.getLong(1)
                                + " of "
                                + documents
                                + " documents; see the dead-letter topic "
                                + config.get(RagstreamOptions.KAFKA_DLQ_TOPIC));
            }
        }
    }

    private static void drop(RagstreamConfig config, String table) throws SQLException {
        PgVectorSinkOptions pg = pg(config);
        if (table != null) {
            try (Connection c = pg.connect();
                    Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + table);
            }
        }
        BenchTables.drop(pg);
    }

    private static PgVectorSinkOptions pg(RagstreamConfig config) {
        return PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
    }
}
