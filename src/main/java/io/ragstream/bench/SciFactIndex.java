package io.ragstream.bench;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.InProcessModel;
import io.ragstream.job.RagstreamJob;
import io.ragstream.sink.PgVectorSinkOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SciFact's corpus indexed by the job, a backfill of {@code corpus.jsonl.gz} read in place into
 * float32 tables of this run, one per in-process model, each built once by the first benchmark that
 * needs it. BEIR lines carry no tenant: the documents are the default tenant's. The tables stay,
 * for searching by hand and so a later {@code bench search} can take its vectors from them instead
 * of indexing again.
 */
final class SciFactIndex {
    static final String TENANT = "default";

    /** The backfill's outcome; {@code seconds} runs from submitting the job to its end. */
    record Built(
            RagstreamConfig config,
            PgVectorSinkOptions pg,
            long documents,
            long chunks,
            double seconds) {
        double documentsPerSecond() {
            return documents / seconds;
        }
    }

    private final BenchContext context;
    private final Map<InProcessModel, Built> built = new EnumMap<>(InProcessModel.class);
    private SciFact data;

    SciFactIndex(BenchContext context) {
        this.context = context;
    }

    /** Read on first use, so benchmarks that do not need SciFact run without it. */
    SciFact data() throws IOException {
        if (data == null) {
            data = SciFact.read(context.data());
        }
        return data;
    }

    /** The index of the model the bench's configuration names. */
    Built get() throws Exception {
        return get(EmbeddingOptions.from(context.config()).inProcessModel().model());
    }

    Built get(InProcessModel model) throws Exception {
        Built index = built.get(model);
        if (index == null) {
            index = backfill(data(), config(model, ""));
            built.put(model, index);
        }
        return index;
    }

    /**
     * Settings for a model's tables ({@code variant} names a copy of them): tables of their own,
     * named short so the names of their indexes stay within PostgreSQL's 63 bytes, and chunks as
     * long as the model reads.
     */
    RagstreamConfig config(InProcessModel model, String variant, String... overrides) {
        String tag =
                model.modelName()
                        .toLowerCase(java.util.Locale.ROOT)
                        .replace("all-minilm-l6-v2", "minilm")
                        .replace("bge-small-en-v1.5", "bge")
                        .replace('-', '_');
        List<String> settings = new ArrayList<>();
        settings.add("embedding.model=" + model.modelName());
        settings.add("quantization=float32");
        // the length each model was trained on and published at (MTEB cuts there), [CLS] and
        // [SEP] aside
        settings.add("chunk.size=" + (model.maxTokens() - 2));
        settings.addAll(List.of(overrides));
        return context.isolated("scifact_" + tag + variant, settings.toArray(String[]::new));
    }

    /** Where stored SciFact chunk vectors are, and how they got there. */
    record Vectors(PgVectorSinkOptions pg, String origin) {}

    /**
     * Chunk vectors of the whole corpus for copying: this run's index, else the newest complete one
     * an earlier run left (same model and dimension), else a backfill now.
     */
    Vectors vectors() throws Exception {
        InProcessModel model = EmbeddingOptions.from(context.config()).inProcessModel().model();
        if (!built.containsKey(model)) {
            RagstreamConfig config = config(model, "");
            PgVectorSinkOptions pg =
                    PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
            Optional<String> earlier = earlierIndex(pg, data().documents());
            if (earlier.isPresent()) {
                PgVectorSinkOptions found =
                        PgVectorSinkOptions.from(
                                config.with("postgres.chunks-table", earlier.get()),
                                pg.schema().dimension());
                return new Vectors(found, earlier.get() + ", left by an earlier bench scifact");
            }
        }
        return new Vectors(get().pg(), get().pg().schema().chunksTable() + ", indexed by this run");
    }

    /** Run ids are base-36 milliseconds of one length, so names sort by age. */
    private static Optional<String> earlierIndex(PgVectorSinkOptions pg, long documents)
            throws SQLException {
        try (Connection c = pg.connect()) {
            List<String> tables = new ArrayList<>();
            try (PreparedStatement st =
                            c.prepareStatement(
                                    "SELECT table_name FROM information_schema.tables"
                                            + " WHERE table_schema = current_schema() AND table_name LIKE 'bench\\_scifact\\_%\\_chunks'"
                                            + " ORDER BY table_name DESC");
                    ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String table : tables) {
                String sql =
                        "SELECT count(DISTINCT doc_id), bool_and(model = ?), bool_and(vector_dims(embedding::vector) = ?)"
                                + " FROM \""
                                + table
                                + "\" WHERE tenant = ?";
                try (PreparedStatement st = c.prepareStatement(sql)) {
                    st.setString(1, pg.model());
                    st.setInt(2, pg.schema().dimension());
                    st.setString(3, TENANT);
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == documents && rs.getBoolean(2) && rs.getBoolean(3)) {
                            return Optional.of(table);
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    private Built backfill(SciFact data, RagstreamConfig config) throws Exception {
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
        System.err.println(
                "bench: backfilling "
                        + data.corpus()
                        + " into "
                        + pg.schema().chunksTable()
                        + " through the job with "
                        + pg.model()
                        + " (4 to 10 minutes on 2 cores)");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        long start = System.nanoTime();
        RagstreamJob.buildBackfill(env, config, List.of(data.corpus()));
        env.execute("ragstream-bench-scifact");
        RagstreamJob.finishBackfill(
                config); // the HNSW and GIN indexes the load deferred: searches use them
        double seconds = (System.nanoTime() - start) / 1e9;
        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT (SELECT count(*) FROM \""
                                        + pg.schema().documentsTable()
                                        + "\" WHERE NOT deleted), (SELECT count(*) FROM \""
                                        + pg.schema().chunksTable()
                                        + "\")")) {
            rs.next();
            if (rs.getLong(1)
                    != data.documents()) { // a quality figure over part of the corpus would mislead
                throw new IllegalStateException(
                        "the backfill indexed "
                                + rs.getLong(1)
                                + " of the "
                                + data.documents()
                                + " documents of "
                                + data.corpus()
                                + "; see the dead-letter topic "
                                + config.get(RagstreamOptions.KAFKA_DLQ_TOPIC)
                                + " and .ragstream/logs/");
            }
            return new Built(config, pg, rs.getLong(1), rs.getLong(2), seconds);
        }
    }
}
