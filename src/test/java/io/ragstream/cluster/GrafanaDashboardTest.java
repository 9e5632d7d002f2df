package io.ragstream.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metric-name extractor behind {@link DashboardMetricsIT}, and its check: a panel whose query
 * reads a name the scrape does not serve is reported, so the integration test fails on it.
 */
class GrafanaDashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void takesMetricNamesAndNotFunctionsKeywordsLabelsStringsOrDurations() {
        assertThat(
                        names(
                                "sum by (operator_name) (rate(flink_a{job_name=~\"$job_name\"}"
                                        + "[$__rate_interval]))"))
                .containsExactly("flink_a [job_name]");
        assertThat(
                        names(
                                "max by (quantile) (flink_b{job_name=~\"$job_name\","
                                        + " quantile=~\"0.5|0.95\"}) / on(job_id) group_left"
                                        + " flink_c offset 5m"))
                .containsExactly("flink_b [job_name, quantile]", "flink_c");
        assertThat(
                        names(
                                "sum(rate(flink_d[5m])) without (host) > bool 0.5 and flink_e or vector(1)"))
                .containsExactly("flink_d", "flink_e");
        assertThat(names("histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m:10s])))"))
                .containsExactly("x_bucket");
        assertThat(names("topk(5, flink_f) unless ignoring(tm_id) flink_g @ start()"))
                .containsExactly("flink_f", "flink_g");
        assertThat(names("sum without (host) (flink_h) * inf")).containsExactly("flink_h");
        // label_replace's strings are not names; a __name__ matcher is the name or a regex of names
        assertThat(
                        names(
                                "label_replace(sum by (__name__) ({__name__=~\"flink_.+_reason_.+\","
                                        + " job_name=~\"$job_name\"}), \"reason\", \"$1\","
                                        + " \"__name__\", \".+_reason_(.+)\")"))
                .containsExactly("{__name__=~\"flink_.+_reason_.+\"} [job_name]");
        assertThat(names("{__name__=\"flink_i\", task_name=\"a}b\"}"))
                .containsExactly("flink_i [task_name]");
        assertThat(PromQlSelectors.ofVariableQuery("label_values(flink_j{x=\"y\"}, job_name)"))
                .extracting(Object::toString)
                .containsExactly("flink_j [x]");
    }

    @Test
    void reportsANameTheScrapeDoesNotServeAndTheLabelsItLacks() throws Exception {
        PrometheusScrape scrape =
                PrometheusScrape.parse(
                        """
                        # HELP flink_a a
                        # TYPE flink_a gauge
                        flink_a{job_name="j",operator_name="o",} 1.0
                        flink_r_reason_X{job_name="j",} 0.0
                        flink_s{job_name="j",quantile="0.5",} NaN
                        """);
        JsonNode dashboard =
                JSON.readTree(
                        """
                        {"panels": [
                          {"type": "row", "title": "r", "panels": [
                            {"type": "timeseries", "title": "nested", "targets": [
                              {"refId": "A", "expr": "sum by (operator_name) (rate(flink_a{job_name=~\\"$j\\"}[1m]))"}]}]},
                          {"type": "timeseries", "title": "typo", "targets": [
                            {"refId": "A", "expr": "max(flink_s{quantile=\\"0.5\\"})"},
                            {"refId": "B", "expr": "sum(rate(flink_aa[1m]))"}]},
                          {"type": "bargauge", "title": "reasons", "targets": [
                            {"refId": "A", "expr": "sum by (__name__) ({__name__=~\\"flink_r_reason_.+\\"})"},
                            {"refId": "B", "expr": "sum by (__name__) ({__name__=~\\"flink_q_reason_.+\\"})"},
                            {"refId": "C", "expr": "flink_a{subtask=\\"0\\"}"}]}],
                         "templating": {"list": [
                           {"type": "query", "name": "j", "query": {"query": "label_values(flink_b, job_name)"}}]}}
                        """);
        assertThat(new GrafanaDashboard(dashboard).missingFrom(scrape))
                .containsExactly(
                        "panel \"typo\" B: nothing served for flink_aa",
                        "panel \"reasons\" B: nothing served for"
                                + " {__name__=~\"flink_q_reason_.+\"}",
                        "panel \"reasons\" C: no label subtask on flink_a [subtask]",
                        "variable $j: nothing served for flink_b");
    }

    @Test
    void theRealDashboardFailsTheCheckWhenOnePanelNamesAMetricNotScraped() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.RAGSTREAM);
        // a scrape serving exactly what the dashboard reads passes...
        StringBuilder served = new StringBuilder();
        for (GrafanaDashboard.Query query : dashboard.queries()) {
            for (PromQlSelectors.Selector selector : query.selectors()) {
                String name =
                        selector.name() != null
                                ? selector.name()
                                : "flink_taskmanager_job_task_operator_ragstream_deadLetteredByReason_MALFORMED_JSON";
                served.append(name)
                        .append('{')
                        .append(
                                selector.labels().stream()
                                        .map(l -> l + "=\"x\",")
                                        .collect(Collectors.joining()))
                        .append("} 1.0\n");
            }
        }
        PrometheusScrape scrape = PrometheusScrape.parse(served.toString());
        assertThat(dashboard.missingFrom(scrape)).isEmpty();

        // ...and the same dashboard with one query doctored (a name misspelt) does not
        ObjectNode doctored = dashboard.model().deepCopy();
        JsonNode target = new GrafanaDashboard(doctored).panels().get(0).path("targets").get(0);
        String expr = target.path("expr").asText();
        assertThat(expr).contains("ragstream_documentsIn");
        ((ObjectNode) target).put("expr", expr.replace("documentsIn", "documentsIn_total"));
        assertThat(new GrafanaDashboard(doctored).missingFrom(scrape))
                .containsExactly(
                        "panel \"Documents in\" A: nothing served for"
                                + " flink_taskmanager_job_task_operator_ragstream_documentsIn_total"
                                + " [job_name]");
    }

    @Test
    void everyPanelQueriesTheProvisionedDatasourceAndHasAPlaceOfItsOwn() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.RAGSTREAM);
        JsonNode datasource =
                YAML.readTree(
                                Path.of("deploy/grafana/provisioning/datasources/prometheus.yml")
                                        .toFile())
                        .path("datasources")
                        .get(0);
        String uid = datasource.path("uid").asText();
        assertThat(datasource.path("type").asText()).isEqualTo("prometheus");
        assertThat(dashboard.model().path("uid").asText()).isEqualTo("ragstream");

        List<JsonNode> panels = dashboard.panels();
        assertThat(panels).hasSizeGreaterThanOrEqualTo(15);
        Set<Integer> ids = new HashSet<>();
        Set<String> cells = new HashSet<>();
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("id of %s", title).isTrue();
            JsonNode grid = panel.path("gridPos");
            for (int x = 0; x < grid.path("w").asInt(); x++) {
                for (int y = 0; y < grid.path("h").asInt(); y++) {
                    assertThat(
                                    cells.add(
                                            (grid.path("x").asInt() + x)
                                                    + ","
                                                    + (grid.path("y").asInt() + y)))
                            .as("%s overlaps another panel", title)
                            .isTrue();
                }
            }
            assertThat(grid.path("x").asInt() + grid.path("w").asInt())
                    .as(title)
                    .isLessThanOrEqualTo(24);
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo(uid);
            assertThat(panel.path("targets")).as(title).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("datasource").path("uid").asText()).as(title).isEqualTo(uid);
                assertThat(PromQlSelectors.of(target.path("expr").asText()))
                        .as("%s reads a metric", title)
                        .isNotEmpty();
            }
        }
        // the panels an operator looks at (issue 17)
        Set<String> names = new TreeSet<>();
        dashboard.queries().forEach(q -> q.selectors().forEach(s -> names.add(s.toString())));
        assertThat(String.join("\n", names))
                .contains(
                        "ragstream_documentsIn",
                        "ragstream_chunksEmbedded",
                        "ragstream_chunksReused",
                        "deadLetteredByReason_",
                        "ragstream_backendLatencyMillis",
                        "ragstream_inFlightRequests",
                        "ragstream_healthyEndpoints",
                        "ragstream_rowsUpserted",
                        "ragstream_rowsDeleted",
                        "ragstream_sinkBatchMillis",
                        "lastCheckpointDuration",
                        "lastCheckpointSize",
                        "backPressuredTimeMsPerSecond",
                        "busyTimeMsPerSecond",
                        "pendingRecords",
                        "records_lag_max");
    }

    private static List<String> names(String expr) {
        return PromQlSelectors.of(expr).stream().map(Object::toString).toList();
    }
}
