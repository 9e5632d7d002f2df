package io.ragstream.testing;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.job.RagstreamJob;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.InternalMiniClusterExtension;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.util.TestStreamEnvironment;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The fixture of the job's integration tests, registered once per test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final JobFixture IT = JobFixture.slots(2);
 *
 * @Test
 * void somethingTheJobDoes() throws Exception {
 *     TestServices services = IT.services("poison");      // its own topics and tables
 *     RunningJob job = IT.start(services.config("sink.mode=exactly-once"));
 *     ... publish, await, assert ...
 * }                                                          // job cancelled, namespace dropped
 * }</pre>
 *
 * It owns a Flink MiniCluster of the class's own, of one task manager (through Flink's {@code
 * InternalMiniClusterExtension}, what its {@code MiniClusterExtension} runs on, which hands the
 * fixture the cluster itself), and everything a test makes through it belongs to the scope that
 * made it: made in a test (or its {@code @BeforeEach}), it is cleaned up after that test; made in a
 * {@code @BeforeAll}, after the class. Cleaning up a scope cancels its jobs and awaits their end,
 * then closes its namespaces ({@link TestServices#close()}: leftover prepared transactions rolled
 * back, tables dropped, topics deleted), then runs what the test added with {@link #onCleanup}. (A
 * field initializer of the test instance runs before its test's scope opens: make a test's
 * namespace in the test or a {@code @BeforeEach}.)
 */
public final class JobFixture
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private final int slots;
    private final Configuration extra;
    private final InternalMiniClusterExtension flink;
    private final InMemoryReporter metrics;
    private final Scope classScope = new Scope();
    private Scope testScope;

    private JobFixture(int slots, InMemoryReporter metrics, Configuration extra) {
        this.slots = slots;
        this.extra = extra;
        Configuration configuration = new Configuration(extra);
        if (metrics != null) {
            configuration = metrics.addToConfiguration(configuration);
        }
        this.flink =
                new InternalMiniClusterExtension(
                        new MiniClusterResourceConfiguration.Builder()
                                .setConfiguration(configuration)
                                .setNumberTaskManagers(1)
                                .setNumberSlotsPerTaskManager(slots)
                                .build());
        this.metrics = metrics;
    }

    /** A MiniCluster of one task manager with {@code slots} slots. */
    public static JobFixture slots(int slots) {
        return new JobFixture(slots, null, new Configuration());
    }

    /**
     * The same, with every metric its jobs register kept for {@link #metrics()}, also after a job
     * ends.
     */
    public JobFixture withMetrics() {
        return new JobFixture(slots, InMemoryReporter.createWithRetainedMetrics(), extra);
    }

    /**
     * The same, with these settings of Flink's own on the cluster too (such as a metrics reporter).
     */
    public JobFixture withConfiguration(Configuration settings) {
        Configuration merged = new Configuration(extra);
        merged.addAll(settings);
        return new JobFixture(slots, metrics, merged);
    }

    public MiniCluster cluster() {
        return flink.getMiniCluster();
    }

    public InMemoryReporter metrics() {
        if (metrics == null) {
            throw new IllegalStateException(
                    "a fixture made without withMetrics() keeps no metrics");
        }
        return metrics;
    }

    /** Topics, tables and a consumer group of their own, closed at the end of the current scope. */
    public TestServices services(String name) {
        TestServices services = new TestServices(name);
        scope().namespaces.add(services);
        return services;
    }

    /**
     * The streaming job with these settings, on this cluster; cancelled at the end of the current
     * scope.
     */
    public RunningJob start(RagstreamConfig config) throws Exception {
        return start(config, SavepointRestoreSettings.none());
    }

    /**
     * The same, resumed from a savepoint or retained checkpoint ({@link
     * RunningJob#stopWithSavepoint}), as {@code flink run --fromSavepoint} does.
     */
    public RunningJob resume(RagstreamConfig config, String savepoint) throws Exception {
        return start(config, SavepointRestoreSettings.forPath(savepoint));
    }

    private RunningJob start(RagstreamConfig config, SavepointRestoreSettings restore)
            throws Exception {
        TestStreamEnvironment env = new TestStreamEnvironment(cluster(), slots);
        RagstreamJob.buildFromConfig(env, config);
        StreamGraph graph = env.getStreamGraph();
        graph.setSavepointRestoreSettings(restore);
        RunningJob job = new RunningJob(env.executeAsync(graph), this);
        scope().jobs.add(job);
        return job;
    }

    /**
     * A counter of the operators' {@code ragstream} groups, e.g. {@code chunksEmbedded}, summed
     * over subtasks and the jobs this fixture ran.
     */
    public long counter(String name) {
        long sum = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> group :
                metrics().getMetricsByGroup().entrySet()) {
            Metric metric = group.getValue().get(name);
            if (metric instanceof Counter counter
                    && group.getKey().getMetricIdentifier(name).endsWith(".ragstream." + name)) {
                sum += counter.getCount();
            }
        }
        return sum;
    }

    /** A backfill of {@code files} with these settings, run to its end. */
    public void backfill(RagstreamConfig config, List<Path> files) throws Exception {
        TestStreamEnvironment env = new TestStreamEnvironment(cluster(), slots);
        RagstreamJob.buildBackfill(env, config, files);
        env.execute("ragstream-it-backfill");
    }

    /** A backfill of the rows of a database {@code table} with these settings, run to its end. */
    public void backfillTable(RagstreamConfig config, String table) throws Exception {
        TestStreamEnvironment env = new TestStreamEnvironment(cluster(), slots);
        RagstreamJob.buildTableBackfill(env, config, table);
        env.execute("ragstream-it-table-backfill");
    }

    /**
     * Runs {@code cleanup} at the end of the current scope, after its jobs ended and its namespaces
     * closed.
     */
    public void onCleanup(Cleanup cleanup) {
        scope().cleanups.push(cleanup);
    }

    /**
     * The body of a GET on the cluster's REST API (the web UI's), e.g. {@code
     * rest("/taskmanagers")}.
     */
    public String rest(String path) throws Exception {
        URI uri = URI.create(flink.getRestAddress().toString() + path);
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(uri).build(),
                                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError(
                    "GET " + uri + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    @FunctionalInterface
    public interface Cleanup {
        void run() throws Exception;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        flink.beforeAll(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        testScope = new Scope();
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Scope scope = testScope;
        testScope = null;
        scope.close();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            classScope.close();
        } finally {
            flink.afterAll(context);
        }
    }

    private Scope scope() {
        return testScope != null ? testScope : classScope;
    }

    /** What one test, or one class's {@code @BeforeAll}, made. */
    private static final class Scope {
        final List<RunningJob> jobs = new ArrayList<>();
        final List<TestServices> namespaces = new ArrayList<>();
        final Deque<Cleanup> cleanups = new ArrayDeque<>();

        /**
         * Every step runs even if one before it failed; the first failure is thrown, with the
         * others suppressed.
         */
        void close() throws Exception {
            List<Cleanup> steps = new ArrayList<>();
            jobs.forEach(job -> steps.add(job::cancel));
            namespaces.forEach(services -> steps.add(services::close));
            steps.addAll(cleanups);
            Throwable failure = null;
            for (Cleanup step : steps) {
                try {
                    step.run();
                } catch (Exception | AssertionError e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure instanceof AssertionError error) {
                throw error;
            } else if (failure != null) {
                throw (Exception) failure;
            }
        }
    }
}
