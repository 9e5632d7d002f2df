package io.ragstream.bench;

import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.EmbeddingServerStats;
import io.ragstream.embed.server.ModelKind;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Flink's own answer to the embedding job: {@code ML_PREDICT} with the {@code flink-model-openai}
 * provider, async, against the same OpenAI-compatible endpoints as the pool. The provider takes one
 * endpoint per model and sends one text per request, so there is one model per endpoint, each fed a
 * disjoint slice of the texts ({@code MOD(id, K) = i}) with {@code max-concurrent-operations = c}
 * at parallelism 1: K·c requests in flight in all, the pool's total concurrency. The K predictions
 * are unioned and counted.
 */
public final class MlPredictBench {
    /** Texts per endpoint in the measured run: about 4 s at c / latency(1) = 4 / 21 ms. */
    static final int TEXTS_PER_ENDPOINT = 800;

    private MlPredictBench() {}

    /**
     * What ML_PREDICT achieves: steady-state texts/s, the same with the local job's start and end
     * included, and the requests the endpoints turned away (503: should be none).
     */
    record Result(double textsPerSecond, double withJobStart, long rejected) {}

    /** ML_PREDICT over K fresh endpoints of the pool bench's shape. */
    static Result measure(int endpoints) throws Exception {
        EmbeddingServerOptions shape =
                EmbeddingServerOptions.defaults()
                        .withModel(ModelKind.SYNTHETIC)
                        .withLatency(PoolBench.FIXED, PoolBench.PER_ITEM)
                        .withMaxConcurrency(PoolBench.CONCURRENCY);
        try (EmbeddingServerGroup servers = EmbeddingServerGroup.start(endpoints, shape)) {
            List<URI> urls = new ArrayList<>();
            for (EmbeddingServer server : servers.servers()) {
                urls.add(server.openAiUrl());
            }
            int texts = endpoints * TEXTS_PER_ENDPOINT;
            int few = endpoints * PoolBench.CONCURRENCY;
            // a run's time includes the local job's start and end; a run of a handful of texts
            // measures those, and the difference of the two runs is the steady-state rate
            runSeconds(
                    urls,
                    shape.modelName(),
                    PoolBench.CONCURRENCY,
                    few); // warm up classes, JIT, connections
            double small = runSeconds(urls, shape.modelName(), PoolBench.CONCURRENCY, few);
            double large = runSeconds(urls, shape.modelName(), PoolBench.CONCURRENCY, texts);
            long rejected =
                    servers.stats().stream()
                            .mapToLong(EmbeddingServerStats.Snapshot::rejected)
                            .sum();
            return new Result(
                    (texts - few) / Math.max(1e-9, large - small), texts / large, rejected);
        }
    }

    /** The SQL of one run, for the report and for tests. */
    static List<String> statements(
            List<URI> endpointUrls, String modelName, int concurrencyPerEndpoint, long texts) {
        List<String> sql = new ArrayList<>();
        int k = endpointUrls.size();
        sql.add(
                "CREATE TEMPORARY TABLE texts (id BIGINT) WITH ('connector' = 'datagen', "
                        + "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '"
                        + texts
                        + "')");
        List<String> predictions = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            sql.add(
                    "CREATE TEMPORARY VIEW slice"
                            + i
                            + " AS SELECT id, CONCAT('chunk ', CAST(id AS STRING), "
                            + "' of the ML_PREDICT run') AS input FROM texts WHERE MOD(id, "
                            + k
                            + ") = "
                            + i);
            sql.add(
                    "CREATE MODEL embedder"
                            + i
                            + " INPUT (input STRING) OUTPUT (embedding ARRAY<FLOAT>) WITH ("
                            + "'provider' = 'openai', 'endpoint' = '"
                            + endpointUrls.get(i)
                            + "', 'api-key' = 'unused', "
                            + "'model' = '"
                            + modelName
                            + "')");
            predictions.add(
                    "SELECT id, embedding FROM ML_PREDICT(TABLE slice"
                            + i
                            + ", MODEL embedder"
                            + i
                            + ", DESCRIPTOR(input), MAP['async', 'true', 'max-concurrent-operations', '"
                            + concurrencyPerEndpoint
                            + "', 'output-mode', 'ALLOW_UNORDERED'])");
        }
        sql.add(
                "SELECT COUNT(*) AS n, MIN(CARDINALITY(embedding)) AS dim FROM ("
                        + String.join(" UNION ALL ", predictions)
                        + ")");
        return sql;
    }

    /**
     * One bounded run: seconds from submission to the last result; checks every text was embedded.
     */
    static double runSeconds(
            List<URI> endpointUrls, String modelName, int concurrencyPerEndpoint, long texts)
            throws Exception {
        Configuration conf = new Configuration();
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        List<String> sql = statements(endpointUrls, modelName, concurrencyPerEndpoint, texts);
        for (String statement : sql.subList(0, sql.size() - 1)) {
            tables.executeSql(statement);
        }
        long start = System.nanoTime();
        TableResult result = tables.executeSql(sql.get(sql.size() - 1));
        long count = -1;
        Integer dim = null;
        try (CloseableIterator<Row> rows = result.collect()) {
            while (rows.hasNext()) {
                Row row = rows.next();
                if (row.getKind().name().startsWith("INSERT")
                        || row.getKind().name().equals("UPDATE_AFTER")) {
                    count = ((Number) row.getField(0)).longValue();
                    dim = (Integer) row.getField(1);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (count != texts) {
            throw new IllegalStateException(
                    "ML_PREDICT embedded " + count + " of " + texts + " texts");
        }
        if (dim == null || dim <= 0) {
            throw new IllegalStateException(
                    "ML_PREDICT returned embeddings of " + dim + " dimensions");
        }
        return seconds;
    }
}
