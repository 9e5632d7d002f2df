package io.ragstream.sink;

import io.ragstream.chunk.Chunker;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.job.RagstreamJob;
import io.ragstream.testing.TestServices;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 1 under failure, for each sink mode (exactly-once joins when it is built): random
 * document operations (creates, edits
 * that grow and shrink documents, deletes, re-creates, stale replays) flow while the test keeps
 * killing the sink's and the committer's database sessions, in the middle of batches and between
 * prepare and commit. The job restarts from its checkpoints each time; afterwards the tables
 * equal the model exactly and no prepared transaction is left behind.
 */
class SinkFailureIT {
    private static final Duration WAIT = Duration.ofSeconds(240);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** The newest state of a document: its text, or null once deleted. */
    private record Expected(long version, String text) {}

    @ParameterizedTest(name = "sink.mode={0}")
    @ValueSource(strings = {"idempotent"})
    void tablesEqualTheModelAfterRepeatedDatabaseFailures(String mode, @InjectMiniCluster MiniCluster cluster) throws Exception {
        TestServices services = new TestServices("chaos" + mode.replace("-", ""));
        RagstreamConfig config = services.config("sink.mode=" + mode, "sink.batch-size=8", "checkpoint.interval=300ms",
                "chunk.size=60", "embedding.batch-size=16");
        Configuration restarts = new Configuration();
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1000);
        restarts.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        TestStreamEnvironment env = new TestStreamEnvironment(cluster, 2);
        env.configure(restarts);
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream-chaos-" + mode);
        String session = PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION).applicationName();

        AtomicBoolean chaos = new AtomicBoolean(true);
        AtomicInteger kills = new AtomicInteger();
        Thread killer = new Thread(() -> killSessions(session, chaos, kills), "chaos");
        Map<String, Expected> model;
        try {
            killer.start();
            model = publishRandomOperations(services, new Random(42), 60, 600);
            Thread.sleep(3_000); // keep failing while the tail of the stream is written
        } finally {
            chaos.set(false);
            killer.join();
        }
        try {
            try {
                TestServices.await("the tables to equal the model", WAIT, () -> mismatch(services, model) == null);
            } catch (AssertionError e) {
                assertThat(mismatch(services, model)).as("first difference from the model").isNull();
            }
            assertThat(kills.get()).as("sessions killed mid-stream").isGreaterThanOrEqualTo(3);
            assertThat(preparedLeft(services)).as("prepared transactions left behind").isZero();
            assertThat(chunkNumbersContiguous(services)).isTrue();
        } finally {
            job.cancel().get();
            services.dropTables();
        }
    }

    /** Random operations on a few documents; returns the model of what the tables must hold. */
    private static Map<String, Expected> publishRandomOperations(TestServices services, Random random, int documents,
                                                                 int operations) throws Exception {
        Map<String, Expected> model = new HashMap<>();
        Map<String, Long> versions = new HashMap<>(); // the newest version sent per document
        List<String> paragraphs = paragraphs();
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int op = 0; op < operations; op++) {
                String id = "doc-" + random.nextInt(documents);
                String key = "chaos/" + id;
                long newest = versions.getOrDefault(id, 0L);
                double dice = random.nextDouble();
                if (dice < 0.10 && newest >= 2) {
                    // a stale replay: a version older than the newest arriving late changes nothing
                    send(producer, services, key, event(id, newest - 1 - random.nextInt((int) newest - 1),
                            "a stale draft that must never be stored"));
                    continue;
                }
                long version = newest + 1 + random.nextInt(3);
                versions.put(id, version);
                if (dice < 0.25 && model.containsKey(id)) {
                    send(producer, services, key, "{\"tenant\": \"chaos\", \"id\": \"" + id + "\", \"op\": \"delete\", \"version\": " + version + "}");
                    model.put(id, new Expected(version, null));
                } else {
                    StringBuilder text = new StringBuilder();
                    int count = 1 + random.nextInt(6);
                    for (int p = 0; p < count; p++) {
                        text.append(p == 0 ? "" : "\n\n").append(paragraphs.get(random.nextInt(paragraphs.size())));
                    }
                    send(producer, services, key, event(id, version, text.toString()));
                    model.put(id, new Expected(version, text.toString()));
                }
                if (op % 50 == 0) {
                    Thread.sleep(150); // spread the stream over the failures
                }
            }
        }
        return model;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, TestServices services, String key, String value) throws Exception {
        TestServices.send(producer, services.documentsTopic, key, value);
    }

    private static String event(String id, long version, String text) {
        return "{\"tenant\": \"chaos\", \"id\": \"" + id + "\", \"version\": " + version + ", \"text\": \""
                + text.replace("\n", "\\n") + "\"}";
    }

    private static List<String> paragraphs() throws Exception {
        List<String> paragraphs = new ArrayList<>();
        for (var doc : TestServices.testCorpus()) {
            paragraphs.add(doc.get("text").asText());
        }
        return paragraphs;
    }

    private static void killSessions(String applicationName, AtomicBoolean chaos, AtomicInteger kills) {
        while (chaos.get()) {
            try (Connection c = TestServices.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                         + " WHERE application_name = '" + applicationName + "'")) {
                rs.next();
                kills.addAndGet(rs.getInt(1));
                Thread.sleep(700);
            } catch (Exception e) {
                return;
            }
        }
    }

    /** The first difference from the model, or null when every document has exactly its newest chunks. */
    private static String mismatch(TestServices services, Map<String, Expected> model) throws Exception {
        Map<String, String> documents = new HashMap<>();
        Map<String, TreeMap<Integer, String>> chunks = new HashMap<>();
        try (Connection c = TestServices.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT doc_id, version, chunk_count, deleted FROM \"" + services.documentsTable + "\"")) {
                while (rs.next()) {
                    documents.put(rs.getString(1), rs.getLong(2) + ":" + rs.getInt(3) + ":" + rs.getBoolean(4));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT doc_id, chunk_no, version, content FROM \"" + services.chunksTable + "\"")) {
                while (rs.next()) {
                    chunks.computeIfAbsent(rs.getString(1), k -> new TreeMap<>())
                            .put(rs.getInt(2), rs.getLong(3) + ":" + rs.getString(4));
                }
            }
        } catch (java.sql.SQLException e) {
            return "no tables yet: " + e.getMessage();
        }
        if (documents.size() != model.size()) {
            return documents.size() + " documents, the model has " + model.size();
        }
        try (OnnxMiniLmEmbedder tokenizer = OnnxMiniLmEmbedder.shared()) {
            Chunker chunker = new Chunker(60, tokenizer::countTokens);
            for (Map.Entry<String, Expected> e : model.entrySet()) {
                Expected expected = e.getValue();
                if (expected.text() == null) {
                    if (!(expected.version() + ":0:true").equals(documents.get(e.getKey())) || chunks.containsKey(e.getKey())) {
                        return e.getKey() + ": expected deleted at " + expected.version() + ", found "
                                + documents.get(e.getKey()) + " with chunks " + chunks.get(e.getKey());
                    }
                    continue;
                }
                String content = new DocumentEvent("chaos", e.getKey(), expected.version(), DocumentEvent.Op.UPSERT,
                        null, expected.text(), "{}").content();
                List<String> texts = chunker.split(content);
                if (!(expected.version() + ":" + texts.size() + ":false").equals(documents.get(e.getKey()))) {
                    return e.getKey() + ": expected " + expected.version() + ":" + texts.size() + ":false, found "
                            + documents.get(e.getKey());
                }
                TreeMap<Integer, String> stored = chunks.getOrDefault(e.getKey(), new TreeMap<>());
                TreeMap<Integer, String> want = new TreeMap<>();
                for (int i = 0; i < texts.size(); i++) {
                    want.put(i, expected.version() + ":" + texts.get(i));
                }
                if (!stored.equals(want)) {
                    return e.getKey() + ": chunks " + stored.keySet() + " at versions "
                            + stored.values().stream().map(v -> v.substring(0, v.indexOf(':'))).toList()
                            + " differ from the model's " + want.size() + " at " + expected.version();
                }
            }
        }
        return null;
    }

    private static long preparedLeft(TestServices services) throws Exception {
        try (Connection c = TestServices.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'ragstream:" + services.chunksTable + ":%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean chunkNumbersContiguous(TestServices services) throws Exception {
        try (Connection c = TestServices.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM (SELECT doc_id FROM \"" + services.chunksTable
                     + "\" GROUP BY doc_id HAVING max(chunk_no) <> count(*) - 1) gaps")) {
            rs.next();
            return rs.getLong(1) == 0;
        }
    }
}
