package io.ragstream.cluster;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.Ports;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.flink.configuration.Configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Grafana dashboard cannot silently show nothing: the job runs with Flink's Prometheus reporter
 * (as flink-conf/config.yaml sets it) on a port of its own, takes documents and a record that is
 * dead-lettered, completes a checkpoint, and then every metric name (and label) each panel and
 * variable of {@code deploy/grafana/dashboards/ragstream.json} queries is in the real scrape of
 * {@code /metrics}. The scrape's values are the run's: what was published, embedded, written and
 * checkpointed.
 */
class DashboardMetricsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Duration WAIT = Duration.ofSeconds(240);
    private static final int DOCUMENTS = 5;
    private static final int PORT = freePort();
    private static final String RAGSTREAM = "flink_taskmanager_job_task_operator_ragstream_";

    @RegisterExtension
    static final JobFixture IT = JobFixture.slots(2).withConfiguration(prometheusReporter(PORT));

    @Test
    void everyMetricTheDashboardQueriesIsInTheScrape() throws Exception {
        TestServices services = IT.services("dashboard");
        RunningJob job = IT.start(services.config("sink.mode=exactly-once"));
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = 0; i < DOCUMENTS; i++) {
                ObjectNode doc = JSON.createObjectNode();
                doc.put("tenant", "acme").put("id", "doc-" + i).put("version", 1);
                doc.put("text", "Document " + i + " on volcanoes, their lava and their ash.");
                TestServices.send(
                        producer, services.documentsTopic, "acme/doc-" + i, doc.toString());
            }
            TestServices.send(producer, services.documentsTopic, "acme/broken", "{not json");
        }
        await("the documents stored")
                .atMost(WAIT)
                .until(
                        () ->
                                TestServices.count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\"")
                                        == DOCUMENTS);
        long completed = completedCheckpoints(job);
        await("a checkpoint after the documents")
                .atMost(WAIT)
                .until(() -> completedCheckpoints(job) > completed);

        Predicate<Map<String, String>> ours = l -> job.id().toHexString().equals(l.get("job_id"));
        // the reporter serves live values: read until the checkpoint's have arrived
        PrometheusScrape scrape =
                await("the scrape shows the run")
                        .atMost(WAIT)
                        .until(
                                DashboardMetricsIT::scrape,
                                s ->
                                        s.sum(
                                                                "flink_jobmanager_job_numberOfCompletedCheckpoints",
                                                                ours)
                                                        > 0
                                                && s.sum(RAGSTREAM + "rowsUpserted", ours) > 0);

        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.RAGSTREAM);
        assertThat(dashboard.queries()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(dashboard.missingFrom(scrape))
                .as("queries of %s that the scrape does not serve", GrafanaDashboard.RAGSTREAM)
                .isEmpty();

        // and what the panels will show is this run
        assertThat(scrape.sum(RAGSTREAM + "documentsIn", ours)).isEqualTo(DOCUMENTS);
        assertThat(scrape.sum(RAGSTREAM + "deadLetteredByReason_MALFORMED_JSON", ours))
                .isEqualTo(1);
        assertThat(scrape.sum(RAGSTREAM + "chunksEmbedded", ours))
                .isGreaterThanOrEqualTo(DOCUMENTS);
        assertThat(scrape.sum(RAGSTREAM + "rowsUpserted", ours))
                .isEqualTo(
                        TestServices.count(
                                "SELECT count(*) FROM \"" + services.chunksTable + "\""));
        assertThat(scrape.sum(RAGSTREAM + "backendLatencyMillis_count", ours)).isPositive();
        assertThat(scrape.sum(RAGSTREAM + "sinkBatchMillis_count", ours)).isPositive();
        assertThat(scrape.sum(RAGSTREAM + "healthyEndpoints", ours)).isPositive();
        assertThat(scrape.has("flink_jobmanager_job_lastCheckpointDuration", ours)).isTrue();
        assertThat(scrape.sum("flink_jobmanager_job_lastCheckpointFullSize", ours)).isPositive();
        assertThat(
                        scrape.has(
                                "flink_taskmanager_job_task_operator_pendingRecords",
                                ours.and(l -> l.get("operator_name").startsWith("Source"))))
                .isTrue();
    }

    private static long completedCheckpoints(RunningJob job) throws Exception {
        return job.restJson("/checkpoints").path("counts").path("completed").asLong();
    }

    private static PrometheusScrape scrape() throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + PORT + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusScrape.parse(response.body());
    }

    /** flink-conf/config.yaml's reporter, on one port. */
    private static Configuration prometheusReporter(int port) {
        JsonNode metrics;
        try {
            metrics = YAML.readTree(Path.of("flink-conf/config.yaml").toFile()).path("metrics");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String reporter = metrics.path("reporters").asText();
        String prefix = "metrics.reporter." + reporter + ".";
        return Configuration.fromMap(
                Map.of(
                        "metrics.reporters",
                        reporter,
                        prefix + "factory.class",
                        metrics.path("reporter").path(reporter).path("factory.class").asText(),
                        prefix + "port",
                        Integer.toString(port)));
    }

    private static int freePort() {
        try {
            return Ports.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
