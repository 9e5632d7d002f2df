package io.ragstream.bench;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.job.RagstreamJob;
import io.ragstream.sink.PgVectorSinkOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

/**
 * SciFact's corpus indexed by the job, a backfill of {@code corpus.jsonl.gz} read in place into
 * tables of this run, built once by the first benchmark that needs it. BEIR lines carry no
 * tenant: the documents are the default tenant's.
 */
final class SciFactIndex {
    static final String TENANT = "default";

    /** The backfill's outcome; {@code seconds} runs from submitting the job to its end. */
    record Built(RagstreamConfig config, PgVectorSinkOptions pg, long documents, long chunks, double seconds) {
        double documentsPerSecond() {
            return documents / seconds;
        }
    }

    private final BenchContext context;
    private SciFact data;
    private Built built;

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

    Built get() throws Exception {
        if (built == null) {
            built = backfill(data());
        }
        return built;
    }

    private Built backfill(SciFact data) throws Exception {
        RagstreamConfig config = context.isolated("scifact");
        PgVectorSinkOptions pg = PgVectorSinkOptions.from(config, EmbeddingOptions.from(config).dimension());
        System.err.println("bench: backfilling " + data.corpus() + " into " + pg.schema().chunksTable()
                + " through the job (about 4 minutes on 2 cores)");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        long start = System.nanoTime();
        RagstreamJob.buildBackfill(env, config, List.of(data.corpus()));
        env.execute("ragstream-bench-scifact");
        double seconds = (System.nanoTime() - start) / 1e9;
        try (Connection c = pg.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM \"" + pg.schema().documentsTable()
                     + "\" WHERE NOT deleted), (SELECT count(*) FROM \"" + pg.schema().chunksTable() + "\")")) {
            rs.next();
            return new Built(config, pg, rs.getLong(1), rs.getLong(2), seconds);
        }
    }
}
