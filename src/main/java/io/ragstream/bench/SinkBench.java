package io.ragstream.bench;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.Vectors;
import io.ragstream.quantize.Int8Vector;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSink;
import io.ragstream.sink.PgVectorSinkOptions;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * The sink's rows/s for each mode and quantization into a table with its HNSW index, beside COPY of
 * the same rows into the same kind of table in the same run; and a backfill into an empty table
 * with the index present against loading first and building the index afterwards. Rows are random
 * unit vectors (HNSW's cost does not depend on where vectors come from) in documents of {@value
 * #CHUNKS_PER_DOCUMENT} chunks; each sink run is a whole Flink job with checkpoints every second.
 */
public final class SinkBench {
    private static final int DIMENSION = 384;
    private static final int CHUNKS_PER_DOCUMENT = 5;

    private SinkBench() {}

    public static void run(BenchContext context, int rows, BenchReport report) throws Exception {
        List<DocumentUpdate> updates = updates(rows / CHUNKS_PER_DOCUMENT, new Random(42));
        int total = updates.size() * CHUNKS_PER_DOCUMENT;
        int n = 0;
        for (Quantization quantization : Quantization.values()) {
            String q = quantization.configName();
            double copy =
                    dropAfter(
                            options(context, "copy" + n++, q, "idempotent"),
                            o -> copyRowsPerSecond(o, updates));
            report.add(
                    "sink", "COPY, rows/s (" + q + ", HNSW present, " + total + " rows)", copy, "");
            for (String mode : List.of("idempotent", "exactly-once")) {
                double sink =
                        dropAfter(
                                options(context, "sink" + n++, q, mode),
                                o -> sinkRowsPerSecond(o, updates));
                report.add("sink", "sink " + mode + ", rows/s (" + q + ")", sink, "");
                report.add(
                        "sink",
                        "sink " + mode + " / COPY (" + q + ")",
                        sink / copy,
                        Goal.atLeast(0.5));
            }
        }
        PgVectorSinkOptions withIndex = options(context, "backfill" + n++, "float16", "idempotent");
        double indexed = seconds(() -> sinkRowsPerSecond(withIndex, updates));
        PgVectorSinkOptions deferred = options(context, "backfill" + n, "float16", "idempotent");
        double loadThenIndex =
                seconds(
                        () -> {
                            execute(
                                    deferred,
                                    "DROP INDEX "
                                            + deferred.schema().chunksTable()
                                            + "_embedding_hnsw");
                            sinkRowsPerSecond(deferred, updates);
                            execute(
                                    deferred,
                                    "CREATE INDEX "
                                            + deferred.schema().chunksTable()
                                            + "_embedding_hnsw ON "
                                            + deferred.schema().chunksTable()
                                            + " USING hnsw (embedding halfvec_cosine_ops)"
                                            + " WITH (m = "
                                            + deferred.hnswM()
                                            + ", ef_construction = "
                                            + deferred.hnswEfConstruction()
                                            + ")");
                        });
        BenchTables.drop(withIndex);
        BenchTables.drop(deferred);
        report.add(
                "sink",
                "backfill of " + total + " rows into an empty table with the index, s",
                indexed,
                "");
        report.add(
                "sink",
                "backfill, load first and build the index afterwards, s",
                loadThenIndex,
                "");
        report.add("sink", "speed-up of the deferred index build", indexed / loadThenIndex, "");
    }

    private static PgVectorSinkOptions options(
            BenchContext context, String name, String quantization, String mode)
            throws SQLException {
        RagstreamConfig config =
                context.isolated(
                        "sink_" + name, "quantization=" + quantization, "sink.mode=" + mode);
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, DIMENSION);
        options.prepareTables();
        return options;
    }

    /**
     * The job's sink alone, fed the updates from memory, until every row is committed; less the
     * time the same job takes to start and stop around a single document (the better of two runs),
     * so that what is left is the time spent writing.
     */
    private static double sinkRowsPerSecond(
            PgVectorSinkOptions options, List<DocumentUpdate> updates) throws Exception {
        double startAndStop =
                Math.min(
                        seconds(() -> runSinkJob(options, updates.subList(0, 1))),
                        seconds(() -> runSinkJob(options, updates.subList(0, 1))));
        double seconds = seconds(() -> runSinkJob(options, updates)) - startAndStop;
        long rows = count(options);
        if (rows != (long) updates.size() * CHUNKS_PER_DOCUMENT) {
            throw new IllegalStateException(
                    "the "
                            + options.mode()
                            + " sink wrote "
                            + rows
                            + " rows of "
                            + updates.size() * CHUNKS_PER_DOCUMENT
                            + " into "
                            + options.schema().chunksTable());
        }
        return rows / seconds;
    }

    private static void runSinkJob(PgVectorSinkOptions options, List<DocumentUpdate> updates)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
        env.enableCheckpointing(1_000);
        env.fromData(updates)
                .keyBy(DocumentUpdate::key)
                .sinkTo(PgVectorSink.create(options, null))
                .name("pgvector upserts");
        env.execute("ragstream-bench-sink");
    }

    /** The same rows, both tables, with COPY in one transaction. */
    private static double copyRowsPerSecond(
            PgVectorSinkOptions options, List<DocumentUpdate> updates) throws Exception {
        StringBuilder documents = new StringBuilder();
        StringBuilder chunks = new StringBuilder();
        HexFormat hex = HexFormat.of();
        for (DocumentUpdate u : updates) {
            documents
                    .append(u.tenant())
                    .append('\t')
                    .append(u.docId())
                    .append('\t')
                    .append(u.version())
                    .append('\t')
                    .append(u.chunkCount())
                    .append("\tf\n");
            for (ChunkRow chunk : u.chunks()) {
                chunks.append(u.tenant())
                        .append('\t')
                        .append(u.docId())
                        .append('\t')
                        .append(chunk.chunkNo())
                        .append('\t')
                        .append(u.version())
                        .append('\t')
                        .append(chunk.text())
                        .append("\t\\\\x")
                        .append(hex.formatHex(chunk.sha256()))
                        .append("\t{}\t")
                        .append(options.model())
                        .append('\t')
                        .append(copyVector(options.schema().quantization(), chunk.embedding()))
                        .append('\n');
            }
        }
        long start = System.nanoTime();
        try (Connection c = options.connect()) {
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn(
                    "COPY "
                            + options.schema().documentsTable()
                            + " (tenant, doc_id, version, chunk_count, deleted) FROM STDIN",
                    new StringReader(documents.toString()));
            copy.copyIn(
                    "COPY "
                            + options.schema().chunksTable()
                            + " (tenant, doc_id, chunk_no, version, content, content_sha256,"
                            + " metadata, model, "
                            + String.join(", ", options.schema().quantization().vectorColumns())
                            + ") FROM STDIN",
                    new StringReader(chunks.toString()));
            c.commit();
        }
        return count(options) / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * The vector columns' values in COPY's text format, as {@link Quantization#bind} would set
     * them.
     */
    private static String copyVector(Quantization quantization, float[] v) {
        if (quantization != Quantization.INT8) {
            return vectorLiteral(v);
        }
        Int8Vector int8 = Int8Vector.encode(v);
        StringBuilder bits = new StringBuilder(v.length);
        for (float x : v) {
            bits.append(x > 0 ? '1' : '0');
        }
        return "\\\\x"
                + HexFormat.of().formatHex(int8.codes())
                + "\t"
                + int8.scale()
                + "\t"
                + int8.offset()
                + "\t"
                + bits;
    }

    private static String vectorLiteral(float[] v) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            s.append(i == 0 ? "" : ",").append(v[i]);
        }
        return s.append(']').toString();
    }

    private static List<DocumentUpdate> updates(int documents, Random random) {
        List<DocumentUpdate> updates = new ArrayList<>(documents);
        for (int d = 0; d < documents; d++) {
            List<ChunkRow> chunks = new ArrayList<>(CHUNKS_PER_DOCUMENT);
            for (int c = 0; c < CHUNKS_PER_DOCUMENT; c++) {
                String text =
                        "Chunk "
                                + c
                                + " of bench document "
                                + d
                                + ", a few words long like a real passage would be.";
                chunks.add(
                        new ChunkRow(
                                c,
                                text,
                                DocumentChunker.sha256(text),
                                Vectors.randomUnit(random, DIMENSION)));
            }
            updates.add(new DocumentUpdate("bench", "doc-" + d, 1, false, "{}", chunks));
        }
        return updates;
    }

    private interface Measure {
        double on(PgVectorSinkOptions options) throws Exception;
    }

    private static double dropAfter(PgVectorSinkOptions options, Measure measure) throws Exception {
        double value = measure.on(options);
        BenchTables.drop(options); // kept when the measure fails, to look into
        return value;
    }

    private interface Timed {
        void run() throws Exception;
    }

    private static double seconds(Timed what) throws Exception {
        long start = System.nanoTime();
        what.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static long count(PgVectorSinkOptions options) throws SQLException {
        try (Connection c = options.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT count(*) FROM " + options.schema().chunksTable())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void execute(PgVectorSinkOptions options, String sql) throws SQLException {
        try (Connection c = options.connect();
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
