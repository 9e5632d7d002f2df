package io.ragstream.cluster;

import io.ragstream.testing.SessionCluster;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.ragstream.testing.TestServices.connect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The job on a real Flink session cluster, as a user runs it: {@code bin/ragstream cluster start}
 * (a JobManager and a TaskManager JVM from Maven Central jars, flink-conf/ as configuration), the
 * shaded jar submitted over the REST API, documents from Kafka in pgvector, the job's {@code
 * ragstream} metrics in the REST API and at the Prometheus endpoint; then a stop with a savepoint,
 * more documents while it is stopped, a resume from the savepoint, and every document indexed once:
 * nothing lost, nothing read twice. The cluster has its own folder and ports, so a user's cluster
 * or local run on this machine is not disturbed, and it is stopped by pid even when the test fails.
 */
class ClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final TestServices SERVICES = new TestServices("cluster");

    private static SessionCluster cluster;
    private static FlinkRest flink;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = SessionCluster.start(SERVICES.name, 1);
        flink = cluster.rest();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            SERVICES.dropTables();
        }
    }

    @Test
    void aParallelismBeyondTheClustersSlotsIsRefusedBeforeTheJobIsSubmitted() throws Exception {
        // one TaskManager of 4 slots: without the check the job would wait for slots that never
        // come, and submit for its --timeout
        int jobs = flink.get("jobs/overview").path("jobs").size();
        assertThatThrownBy(() -> cluster.ragstream(WAIT, "cluster", "submit", "-p", "9"))
                .hasMessageContaining("the job needs 9 task slots")
                .hasMessageContaining("free of 4 on 1 TaskManager(s)");
        assertThat(flink.get("jobs/overview").path("jobs").size())
                .as("nothing submitted")
                .isEqualTo(jobs);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void jobRunsOnTheSessionClusterAndResumesFromASavepoint() throws Exception {
        SERVICES.createTopics(2, SERVICES.documentsTopic, SERVICES.dlqTopic);
        List<JsonNode> corpus = TestServices.testCorpus();
        publish(corpus);
        Path jar = FlinkRest.newestJobJar(ROOT.resolve("target"));
        String first = flink.submit(jar, SERVICES.jobArguments(), null, null, WAIT);

        // flink-conf/config.yaml is what the cluster runs with
        JsonNode checkpoints = flink.get("jobs/" + first + "/checkpoints/config");
        assertThat(checkpoints.path("mode").asText()).isEqualTo("exactly_once");
        assertThat(checkpoints.path("state_backend").asText())
                .isEqualTo("EmbeddedRocksDBStateBackend");
        assertThat(
                        checkpoints
                                .path("externalization")
                                .path("delete_on_cancellation")
                                .asBoolean(true))
                .isFalse();

        await("the corpus in pgvector")
                .atMost(WAIT)
                .until(
                        () ->
                                count("SELECT count(*) FROM %s", SERVICES.documentsTable)
                                        == corpus.size());
        for (Metric metric : List.<Metric>of(ClusterIT::restMetric, ClusterIT::prometheusMetric)) {
            awaitMetric(metric, first, "documentsIn", corpus.size());
            awaitMetric(metric, first, "chunksEmbedded", chunkRows());
            awaitMetric(metric, first, "rowsUpserted", chunkRows());
        }

        String savepoint = flink.stopWithSavepoint(first, cluster.savepoints(), WAIT);
        assertThat(Path.of(URI.create(savepoint)).resolve("_metadata")).exists();
        // the savepoint is reported before the job has wound down (its sink commits the last epoch)
        await("the job to finish after its savepoint")
                .atMost(WAIT)
                .until(() -> flink.job(first).path("state").asText().equals("FINISHED"));

        // while the job is stopped: new documents, and an edit of one that is indexed already
        List<JsonNode> more = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            more.add(
                    JSON.readTree(
                            "{\"tenant\": \"acme\", \"id\": \"later-"
                                    + i
                                    + "\", \"title\": \"Published while stopped "
                                    + i
                                    + "\", \"text\": \"Document number "
                                    + i
                                    + " arrived while the job was stopped for an upgrade.\"}"));
        }
        String editedId = corpus.get(0).path("id").asText();
        Set<String> hashesBefore = chunkHashes(editedId);
        String newerVersion =
                "SELECT count(*) FROM %s WHERE doc_id = '"
                        + editedId
                        + "' AND version > "
                        + count(
                                "SELECT max(version) FROM %s WHERE doc_id = '" + editedId + "'",
                                SERVICES.documentsTable);
        // no version: the event takes its Kafka record's timestamp, newer than the first one's
        more.add(
                ((ObjectNode) corpus.get(0).deepCopy())
                        .put(
                                "text",
                                corpus.get(0).path("text").asText()
                                        + " Edited while the job was stopped."));
        publish(more);

        String second = flink.submit(jar, SERVICES.jobArguments(), savepoint, null, WAIT);
        await("the documents published while stopped, and the edit")
                .atMost(WAIT)
                .until(
                        () ->
                                count("SELECT count(*) FROM %s", SERVICES.documentsTable)
                                                == corpus.size() + 5
                                        && count(newerVersion, SERVICES.documentsTable) == 1);
        // The resumed job read on from the savepoint's offsets and kept every document's chunk
        // hashes: it read only what came after, and embedded only the new and the changed chunks.
        long changedChunks =
                chunkHashes(editedId).stream().filter(h -> !hashesBefore.contains(h)).count();
        awaitMetric(ClusterIT::restMetric, second, "documentsIn", more.size());
        awaitMetric(
                ClusterIT::restMetric,
                second,
                "chunksEmbedded",
                count("SELECT count(*) FROM %s WHERE doc_id LIKE 'later-%%'", SERVICES.chunksTable)
                        + changedChunks);
        assertThat(restMetric(second, "deadLettered")).isZero();

        // every document once, with the chunks of its newest version and nothing else
        assertThat(
                        count(
                                "SELECT count(*) FROM %s d WHERE d.deleted OR d.chunk_count <> "
                                        + "(SELECT count(*) FROM \""
                                        + SERVICES.chunksTable
                                        + "\" c WHERE c.tenant = d.tenant AND c.doc_id = d.doc_id"
                                        + " AND c.version = d.version)",
                                SERVICES.documentsTable))
                .isZero();
        assertThat(
                        count(
                                "SELECT count(*) FROM %s c WHERE NOT EXISTS (SELECT 1 FROM \""
                                        + SERVICES.documentsTable
                                        + "\" d WHERE d.tenant = c.tenant AND d.doc_id = c.doc_id AND d.version = c.version)",
                                SERVICES.chunksTable))
                .isZero();
    }

    @FunctionalInterface
    private interface Metric {
        double read(String job, String name) throws Exception;
    }

    /**
     * Polls a counter until it shows the value (REST refreshes every 10 s); a failure shows what it
     * showed.
     */
    private static void awaitMetric(Metric metric, String job, String name, double expected) {
        await(name + " of job " + job)
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(
                        () ->
                                assertThat(metric.read(job, name))
                                        .as("%s of job %s", name, job)
                                        .isEqualTo(expected));
    }

    /**
     * The job's {@code ragstream.<name>} counters as the REST API shows them, summed over operators
     * and subtasks.
     */
    private static double restMetric(String job, String name) throws Exception {
        return flink.ragstreamMetrics(job).entrySet().stream()
                .filter(e -> e.getKey().endsWith(".ragstream." + name))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }

    /** The same counter as Flink's Prometheus reporters serve it, from every JVM of the cluster. */
    private static double prometheusMetric(String job, String name) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String series = "flink_taskmanager_job_task_operator_ragstream_" + name + "{";
        double sum = 0;
        for (int port = cluster.metricsFrom();
                port < cluster.metricsFrom() + SessionCluster.METRICS_PORTS;
                port++) {
            String body;
            try {
                body =
                        http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create(
                                                                "http://127.0.0.1:"
                                                                        + port
                                                                        + "/metrics"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body();
            } catch (IOException e) {
                continue; // no reporter on this port of the range
            }
            for (String line : body.lines().toList()) {
                if (line.startsWith(series) && line.contains("job_id=\"" + job + "\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }

    private static void publish(List<JsonNode> docs) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (JsonNode doc : docs) {
                TestServices.send(
                        producer,
                        SERVICES.documentsTopic,
                        "acme/" + doc.path("id").asText(),
                        doc.toString());
            }
        }
    }

    private static Set<String> chunkHashes(String docId) throws Exception {
        Set<String> hashes = new HashSet<>();
        try (Connection c = connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT content_sha256::text FROM \""
                                        + SERVICES.chunksTable
                                        + "\" WHERE tenant = 'acme' AND doc_id = ?")) {
            st.setString(1, docId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    hashes.add(rs.getString(1));
                }
            }
        }
        return hashes;
    }

    private static long chunkRows() throws Exception {
        return count("SELECT count(*) FROM %s", SERVICES.chunksTable);
    }

    private static long count(String sql, String table) throws Exception {
        try (Connection c = connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(String.format(sql, "\"" + table + "\""))) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1; // the job creates the tables once it runs
        }
    }
}
