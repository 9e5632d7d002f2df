package io.ragstream.job;

import io.ragstream.chunk.Chunker;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.Vectors;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.embed.server.SyntheticEmbedder;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.testing.JobProcess;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 1 under every kind of failure, for both sink modes: thousands of random document
 * operations (creates, edits that grow and shrink documents, deletes, re-creates, stale replays;
 * plain events and Debezium changes) flow into the job, run as its own process the way
 * {@code bin/ragstream run} runs it, while the test fails its sink tasks, takes the embedding
 * endpoint away, crashes and restarts PostgreSQL, and kills the job process and starts it again
 * from its retained checkpoint. Afterwards the tables equal the model exactly (rows, versions,
 * texts and vectors; chunk numbers contiguous), no prepared transaction is left behind, and the
 * status topic announced each document's newest version and nothing that was never written.
 */
class ChaosIT {
    private static final Duration SETTLE = Duration.ofMinutes(3);
    private static final int CHUNK_SIZE = 60;
    private static final int OPERATIONS = 2_000;
    private static final String TENANT = "chaos";

    /** The newest state of a document: its text, or null once deleted. */
    private record Expected(long version, String text) {}

    @ParameterizedTest(name = "sink.mode={0}")
    @ValueSource(strings = {"idempotent", "exactly-once"})
    void tablesEqualTheModelAfterEveryKindOfFailure(String mode) throws Exception {
        TestServices services = new TestServices("chaos" + mode.replace("-", ""));
        // under target/, so the job's logs and checkpoints are there to read when the test fails
        Path home = Files.createDirectories(Path.of("target", "chaos", services.name)).toAbsolutePath();
        String cdcTopic = services.documentsTopic + ".cdc";
        services.createTopics(2, services.documentsTopic, cdcTopic);
        try (PrivatePostgres pg = PrivatePostgres.start();
             EmbeddingServer embeddings = EmbeddingServer.start(EmbeddingServerOptions.defaults()
                     .withModel(ModelKind.SYNTHETIC).withLatency(Duration.ofMillis(5), Duration.ofMillis(1)))) {
            Path pool = Files.writeString(home.resolve("pool.yaml"), "embedding:\n  backend: ollama\n  model: "
                    + embeddings.options().modelName() + "\n  endpoints:\n    - {url: \"" + embeddings.url()
                    + "\", max-concurrency: 4}\n");
            List<String> arguments = new ArrayList<>(List.of("--config", pool.toString()));
            arguments.addAll(services.jobArguments("postgres.url=" + pg.url(), "kafka.cdc-topics=" + cdcTopic,
                    "sink.mode=" + mode, "sink.batch-size=8", "checkpoint.interval=500ms", "chunk.size=" + CHUNK_SIZE,
                    "embedding.batch-size=16", "embedding.request-timeout=2s", "job.parallelism=2"));
            // retries come quickly here, so that the failures fit in a test's time
            String restarts = "restart-strategy.exponential-delay.max-backoff: 2s\n";
            try (JobProcess job = new JobProcess(home, arguments, restarts)) {
                job.start();
                Operations operations = new Operations(services.documentsTopic, cdcTopic, new Random(7));
                CompletableFuture<Map<String, Expected>> published = CompletableFuture.supplyAsync(operations::publish);

                List<String> injected = new ArrayList<>();
                TestServices.await("the first rows", SETTLE, () -> count(pg, "SELECT count(*) FROM " + services.chunksTable) > 0);
                long killed = killSinkSessions(pg, services);
                injected.add("task failure (" + killed + " sink sessions killed)");
                Thread.sleep(4_000);
                embeddings.downFor(Duration.ofSeconds(6));
                injected.add("embedding endpoint down for 6 s");
                Thread.sleep(8_000);
                pg.crashAndRestart();
                injected.add("PostgreSQL crashed and restarted");
                Thread.sleep(5_000);
                job.kill();
                injected.add("job process killed and started again");
                job.start();
                long[] killedAgain = {0};
                TestServices.await("the restarted job's sink to fail", SETTLE,
                        () -> (killedAgain[0] = killSinkSessions(pg, services)) > 0 || !job.isAlive());
                assertThat(job.isAlive()).as("the restarted job process runs (see %s)", home).isTrue();
                injected.add("task failure (" + killedAgain[0] + " sink sessions killed)");

                Map<String, Expected> model = published.get(3, TimeUnit.MINUTES);
                System.out.printf("%s: %d operations on %d documents; failures injected: %s%n",
                        mode, operations.sent, model.size(), injected);
                try {
                    TestServices.await("the tables to equal the model", SETTLE, () -> mismatch(pg, services, model) == null);
                } catch (AssertionError e) {
                    assertThat(mismatch(pg, services, model)).as("first difference from the model").isNull();
                }
                assertThat(operations.sent).isEqualTo(OPERATIONS);
                assertThat(statusMismatch(services, model, operations.sentVersions)).as("status topic").isNull();
                assertThat(count(pg, "SELECT count(*) FROM pg_prepared_xacts")).as("prepared transactions left behind").isZero();
                assertThat(count(pg, "SELECT count(*) FROM (SELECT doc_id FROM " + services.chunksTable
                        + " GROUP BY doc_id HAVING max(chunk_no) <> count(*) - 1) gaps")).as("documents with gaps").isZero();
                assertThat(job.isAlive()).as("the job process still runs").isTrue();
                assertThat(killed).as("sink sessions there to kill").isPositive();
                assertThat(killedAgain[0]).as("sink sessions there to kill after the restart").isPositive();
                // the failures really failed the job (a killed session fails a sink only when it next
                // writes, and by the last kill the stream may be over, so not every one counts)
                assertThat(job.logLines("switched from state RUNNING to RESTARTING")).as("restarts").isPositive();
            }
        } finally {
            services.deleteTopics(services.documentsTopic, cdcTopic, services.dlqTopic, services.statusTopic);
        }
    }

    /** Random operations on a few documents, as plain events and as Debezium changes. */
    private static final class Operations {
        private final String documentsTopic;
        private final String cdcTopic;
        private final Random random;
        private final List<String> paragraphs = paragraphs();
        private final Map<String, Expected> model = new HashMap<>();
        private final Map<String, Long> versions = new HashMap<>(); // the newest version sent per document
        /** Every version sent that was not a stale replay: its text, or null for a delete. */
        private final Map<String, String> sentVersions = new HashMap<>();
        volatile int sent;

        Operations(String documentsTopic, String cdcTopic, Random random) {
            this.documentsTopic = documentsTopic;
            this.cdcTopic = cdcTopic;
            this.random = random;
        }

        /** About 45 s of operations, spread so that every failure meets a busy stream. */
        Map<String, Expected> publish() {
            try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
                for (int op = 0; op < OPERATIONS; op++) {
                    boolean cdc = random.nextInt(4) == 0;
                    String id = (cdc ? "row-" : "doc-") + random.nextInt(cdc ? 30 : 70);
                    long newest = versions.getOrDefault(id, 0L);
                    double dice = random.nextDouble();
                    if (dice < 0.08 && newest >= 2) {
                        // a stale replay: an older version arriving late changes nothing
                        long stale = newest - 1 - random.nextInt((int) newest - 1);
                        send(producer, cdc, id, upsert(cdc, id, stale, "a stale draft that must never be stored " + op));
                    } else {
                        long version = newest + 1 + random.nextInt(3);
                        versions.put(id, version);
                        if (dice < 0.22 && model.containsKey(id)) {
                            send(producer, cdc, id, delete(cdc, id, version));
                            model.put(id, new Expected(version, null));
                            sentVersions.put(id + ":" + version, null);
                        } else {
                            String text = randomText(op);
                            send(producer, cdc, id, upsert(cdc, id, version, text));
                            model.put(id, new Expected(version, text));
                            sentVersions.put(id + ":" + version, text);
                        }
                    }
                    sent = op + 1;
                    if (op % 10 == 0) {
                        Thread.sleep(220);
                    }
                }
                return model;
            } catch (Exception e) {
                throw new IllegalStateException("publishing failed after " + sent + " operations", e);
            }
        }

        /** Paragraphs of the test corpus, now and then with a line never seen, so the backend keeps getting work. */
        private String randomText(int op) {
            StringBuilder text = new StringBuilder();
            int count = 1 + random.nextInt(6);
            for (int p = 0; p < count; p++) {
                text.append(p == 0 ? "" : "\n\n").append(paragraphs.get(random.nextInt(paragraphs.size())));
            }
            if (random.nextInt(3) == 0) {
                text.append("\n\nRevision note ").append(op).append(" of this document.");
            }
            return text.toString();
        }

        private void send(KafkaProducer<byte[], byte[]> producer, boolean cdc, String id, String value) throws Exception {
            String key = cdc ? "{\"tenant\": \"" + TENANT + "\", \"id\": \"" + id + "\"}" : TENANT + "/" + id;
            TestServices.send(producer, cdc ? cdcTopic : documentsTopic, key, value);
        }

        private static String upsert(boolean cdc, String id, long version, String text) {
            String quoted = "\"" + text.replace("\n", "\\n") + "\"";
            if (!cdc) {
                return "{\"tenant\": \"" + TENANT + "\", \"id\": \"" + id + "\", \"version\": " + version
                        + ", \"text\": " + quoted + "}";
            }
            return "{\"before\": null, \"after\": {\"tenant\": \"" + TENANT + "\", \"id\": \"" + id
                    + "\", \"title\": null, \"text\": " + quoted + "}, \"op\": \"u\", " + source(version) + "}";
        }

        private static String delete(boolean cdc, String id, long version) {
            if (!cdc) {
                return "{\"tenant\": \"" + TENANT + "\", \"id\": \"" + id + "\", \"op\": \"delete\", \"version\": " + version + "}";
            }
            return "{\"before\": {\"tenant\": \"" + TENANT + "\", \"id\": \"" + id + "\"}, \"after\": null, \"op\": \"d\", "
                    + source(version) + "}";
        }

        /** The PostgreSQL connector versions a change by its LSN. */
        private static String source(long lsn) {
            return "\"source\": {\"connector\": \"postgresql\", \"name\": \"pg\", \"db\": \"app\", \"table\": \"documents\", "
                    + "\"lsn\": " + lsn + ", \"ts_ms\": 1700000000000}, \"ts_ms\": 1700000000000";
        }

        private static List<String> paragraphs() {
            try {
                List<String> paragraphs = new ArrayList<>();
                for (var doc : TestServices.testCorpus()) {
                    paragraphs.add(doc.get("text").asText());
                }
                return paragraphs;
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Cuts the sink's database sessions (and with them its open transaction): the sink task fails. */
    private static long killSinkSessions(PrivatePostgres pg, TestServices services) {
        return count(pg, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE application_name = 'ragstream:" + services.chunksTable + "'");
    }

    /** A count, or -1 while the database restarts or the table is not there yet. */
    private static long count(PrivatePostgres pg, String sql) {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** The first difference from the model, or null when every document has exactly its newest chunks. */
    private static String mismatch(PrivatePostgres pg, TestServices services, Map<String, Expected> model) throws Exception {
        Map<String, String> documents = new HashMap<>();
        Map<String, TreeMap<Integer, String>> chunks = new HashMap<>();
        Map<String, float[]> vectors = new HashMap<>(); // by chunk text
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT doc_id, version, chunk_count, deleted FROM " + services.documentsTable)) {
                while (rs.next()) {
                    documents.put(rs.getString(1), rs.getLong(2) + ":" + rs.getInt(3) + ":" + rs.getBoolean(4));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT doc_id, chunk_no, version, content, embedding::vector::real[] FROM "
                    + services.chunksTable)) {
                while (rs.next()) {
                    chunks.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getInt(2), rs.getLong(3) + ":" + rs.getString(4));
                    Float[] boxed = (Float[]) rs.getArray(5).getArray();
                    float[] vector = new float[boxed.length];
                    for (int i = 0; i < boxed.length; i++) {
                        vector[i] = boxed[i];
                    }
                    vectors.put(rs.getString(4), vector);
                }
            }
        } catch (SQLException e) {
            return "tables not readable yet: " + e.getMessage();
        }
        if (documents.size() != model.size()) {
            return documents.size() + " documents, the model has " + model.size();
        }
        try (OnnxMiniLmEmbedder tokenizer = OnnxMiniLmEmbedder.shared(); SyntheticEmbedder synthetic = new SyntheticEmbedder()) {
            Chunker chunker = new Chunker(CHUNK_SIZE, tokenizer::countTokens);
            for (Map.Entry<String, Expected> e : model.entrySet()) {
                String id = e.getKey();
                Expected expected = e.getValue();
                if (expected.text() == null) {
                    if (!(expected.version() + ":0:true").equals(documents.get(id)) || chunks.containsKey(id)) {
                        return id + ": expected deleted at " + expected.version() + ", found " + documents.get(id)
                                + " with chunks " + chunks.get(id);
                    }
                    continue;
                }
                String content = new DocumentEvent(TENANT, id, expected.version(), DocumentEvent.Op.UPSERT, null,
                        expected.text(), "{}").content();
                List<String> texts = chunker.split(content);
                if (!(expected.version() + ":" + texts.size() + ":false").equals(documents.get(id))) {
                    return id + ": expected " + expected.version() + ":" + texts.size() + ":false, found " + documents.get(id);
                }
                TreeMap<Integer, String> want = new TreeMap<>();
                for (int i = 0; i < texts.size(); i++) {
                    want.put(i, expected.version() + ":" + texts.get(i));
                }
                TreeMap<Integer, String> stored = chunks.getOrDefault(id, new TreeMap<>());
                if (!stored.equals(want)) {
                    return id + ": chunks " + stored.keySet() + " at versions "
                            + stored.values().stream().map(v -> v.substring(0, v.indexOf(':'))).toList()
                            + " differ from the model's " + want.size() + " at " + expected.version();
                }
                List<float[]> wantVectors = synthetic.embed(texts);
                for (int i = 0; i < texts.size(); i++) {
                    if (Vectors.cosine(wantVectors.get(i), vectors.get(texts.get(i))) < 0.999) {
                        return id + ": chunk " + i + " holds another text's vector";
                    }
                }
            }
        }
        return null;
    }

    /**
     * Null when the status topic announced every document's newest version, and never a version
     * that was not written (a stale replay, which the guards refuse).
     */
    private static String statusMismatch(TestServices services, Map<String, Expected> model, Map<String, String> sent)
            throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Map<String, Long> announced = new HashMap<>();
        try (OnnxMiniLmEmbedder tokenizer = OnnxMiniLmEmbedder.shared()) {
            Chunker chunker = new Chunker(CHUNK_SIZE, tokenizer::countTokens);
            for (var record : TestServices.readTopic(services.statusTopic, Integer.MAX_VALUE, Duration.ofSeconds(10))) {
                var status = json.readTree(record.value());
                String id = status.get("id").asText();
                long version = status.get("version").asLong();
                String key = id + ":" + version;
                if (!sent.containsKey(key)) {
                    return "a status for " + key + ", which was never written: " + status;
                }
                String text = sent.get(key);
                int chunks = text == null ? 0 : chunker.split(new DocumentEvent(TENANT, id, version, DocumentEvent.Op.UPSERT,
                        null, text, "{}").content()).size();
                if (status.get("chunks").asInt() != chunks || status.get("deleted").asBoolean() != (text == null)) {
                    return "status " + status + " does not describe " + key;
                }
                announced.merge(id, version, Math::max);
            }
        }
        for (Map.Entry<String, Expected> e : model.entrySet()) {
            if (!Long.valueOf(e.getValue().version()).equals(announced.get(e.getKey()))) {
                return e.getKey() + " is at " + e.getValue().version() + ", the newest status says " + announced.get(e.getKey());
            }
        }
        return null;
    }
}
