package io.ragstream.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml as written (Jackson's YAML parser, no Compose needed; {@link DockerComposeIT}
 * runs Compose's own): every image, the shared blocks' included, is pinned to an exact version, and
 * the monitoring profile's Prometheus and Grafana mount files that exist and fit together —
 * Prometheus scrapes the port the Flink containers' reporter listens on, Grafana's datasource is
 * the Prometheus service and its dashboard provider reads where the dashboards are mounted.
 */
class DockerComposeFileTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path COMPOSE = Path.of("docker-compose.yml");

    /** {@code ${VARIABLE:-default}}: the image Compose runs when the variable is not set. */
    private static final Pattern DEFAULT = Pattern.compile("\\$\\{\\w+:-([^}]+)\\}");

    /** A tag with a digit in it that names no moving target. */
    private static final Pattern EXACT_TAG = Pattern.compile("v?\\d+\\.\\d+\\.\\d+([-.][\\w.-]+)?");

    @Test
    void everyImageIsPinnedToAnExactVersion() throws Exception {
        Map<String, String> images = new TreeMap<>();
        collectImages(YAML.readTree(COMPOSE.toFile()), "", images);
        assertThat(images.keySet())
                .contains(
                        "x-ollama",
                        "x-flink",
                        "services.kafka",
                        "services.postgres",
                        "services.ollama-pull",
                        "services.cluster-lib",
                        "services.prometheus",
                        "services.grafana");
        images.forEach(
                (where, image) -> {
                    Matcher variable = DEFAULT.matcher(image);
                    String resolved = variable.matches() ? variable.group(1) : image;
                    assertThat(resolved).as(where).doesNotContain("${").doesNotContain("@");
                    int colon = resolved.lastIndexOf(':');
                    assertThat(colon).as("%s: %s has a tag", where, resolved).isPositive();
                    String tag = resolved.substring(colon + 1);
                    assertThat(tag)
                            .as("%s: %s is an exact version", where, resolved)
                            .matches(EXACT_TAG)
                            .doesNotContainIgnoringCase("latest");
                });
        assertThat(images.get("x-ollama")).isEqualTo(images.get("services.ollama-pull"));
    }

    @Test
    void theMonitoringProfileMountsFilesThatExistAndFitTogether() throws Exception {
        JsonNode services = YAML.readTree(COMPOSE.toFile()).path("services");
        Map<String, Path> mounts = new TreeMap<>(); // container path -> file here
        for (String name : List.of("prometheus", "grafana")) {
            JsonNode service = services.path(name);
            assertThat(service.path("profiles"))
                    .extracting(JsonNode::asText)
                    .as(name)
                    .containsExactly("monitoring");
            for (JsonNode volume : service.path("volumes")) {
                String[] parts = volume.asText().split(":");
                if (parts[0].startsWith("./")) {
                    Path source = Path.of(parts[0]).normalize();
                    assertThat(source).as("%s mounts %s", name, parts[0]).exists();
                    assertThat(parts).as(volume.asText()).contains("ro");
                    mounts.put(parts[1], source);
                }
            }
        }

        // Prometheus scrapes the Flink containers' reporter port
        JsonNode prometheus = YAML.readTree(mounts.get("/etc/prometheus/prometheus.yml").toFile());
        String properties =
                YAML.readTree(COMPOSE.toFile())
                        .path("x-flink")
                        .path("environment")
                        .path("FLINK_PROPERTIES")
                        .asText();
        JsonNode discovery = prometheus.path("scrape_configs").get(0).path("dns_sd_configs").get(0);
        assertThat(properties)
                .contains("metrics.reporter.prom.port: " + discovery.path("port").asInt());
        assertThat(discovery.path("names"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("jobmanager", "taskmanager");

        // Grafana: the datasource is the Prometheus service, the provider reads the mounted
        // dashboards, and the home dashboard is one of them
        Path provisioning = mounts.get("/etc/grafana/provisioning");
        JsonNode datasource =
                YAML.readTree(provisioning.resolve("datasources/prometheus.yml").toFile())
                        .path("datasources")
                        .get(0);
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(datasource.path("jsonData").path("timeInterval").asText())
                .isEqualTo(prometheus.path("global").path("scrape_interval").asText());
        JsonNode provider =
                YAML.readTree(provisioning.resolve("dashboards/ragstream.yml").toFile())
                        .path("providers")
                        .get(0);
        String dashboards = provider.path("options").path("path").asText();
        assertThat(mounts.get(dashboards)).isEqualTo(GrafanaDashboard.RAGSTREAM.getParent());
        String home =
                services.path("grafana")
                        .path("environment")
                        .path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
                        .asText();
        assertThat(home).isEqualTo(dashboards + "/" + GrafanaDashboard.RAGSTREAM.getFileName());
        assertThat(Files.readString(GrafanaDashboard.RAGSTREAM))
                .contains("\"uid\": \"" + datasource.path("uid").asText() + "\"");

        // read-only for whoever reaches the port: no sign-in at all
        JsonNode grafana = services.path("grafana").path("environment");
        assertThat(grafana.path("GF_AUTH_ANONYMOUS_ORG_ROLE").asText()).isEqualTo("Viewer");
        assertThat(grafana.path("GF_AUTH_DISABLE_LOGIN_FORM").asText()).isEqualTo("true");
        assertThat(grafana.path("GF_AUTH_BASIC_ENABLED").asText()).isEqualTo("false");
    }

    /** Every {@code image:} in the file, by where it is (a top-level block or a service). */
    private static void collectImages(JsonNode node, String where, Map<String, String> into) {
        if (!node.isObject()) {
            return;
        }
        if (node.has("image")) {
            into.put(where, node.path("image").asText());
        }
        List<String> fields = new ArrayList<>();
        node.fieldNames().forEachRemaining(fields::add);
        for (String field : fields) {
            collectImages(node.path(field), where.isEmpty() ? field : where + "." + field, into);
        }
    }
}
