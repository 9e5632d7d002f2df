package io.ragstream.cluster;

import io.ragstream.config.EmbeddingBackendType;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.sink.PgVectorExtension;

import org.apache.flink.runtime.util.EnvironmentInformation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml as Compose itself reads it (Debian's docker-compose, which {@code
 * bin/ragstream setup} installs; parsing needs no Docker engine), and wired to the job's
 * configuration: every Ollama instance reserves its own GPU, is in the pool of compose/job.yaml
 * with its OLLAMA_NUM_PARALLEL as max-concurrency and gets the model pulled; Flink's image is the
 * Flink the job is built against; the job submitted is the one this build made. Secure by default:
 * every published port is bound to 127.0.0.1 unless the user opts in, and the PostgreSQL password
 * has to come from the environment (no fallback).
 */
class DockerComposeIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String PASSWORD = "a-password-from-the-environment";
    private static final Map<String, String> ENV = Map.of("RAGSTREAM_PG_PASSWORD", PASSWORD);
    private static final List<String> BIND_VARIABLES =
            List.of("RAGSTREAM_BIND", "RAGSTREAM_PG_BIND", "RAGSTREAM_FLINK_BIND");

    @Test
    void composeAcceptsTheFileAndItsServicesAreWiredToTheJobsConfiguration() throws Exception {
        compose(ENV, "config", "-q"); // fails with Compose's own message
        JsonNode services = YAML.readTree(compose(ENV, "config")).path("services");
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .contains(
                        "kafka",
                        "postgres",
                        "ollama-pull",
                        "cluster-lib",
                        "jobmanager",
                        "taskmanager",
                        "submit",
                        "prometheus",
                        "grafana");
        assertThat(services.path("kafka").path("environment").path("KAFKA_PROCESS_ROLES").asText())
                .isEqualTo("broker,controller");
        for (String monitoring : List.of("prometheus", "grafana")) {
            assertThat(services.path(monitoring).path("profiles"))
                    .extracting(JsonNode::asText)
                    .as(monitoring)
                    .containsExactly("monitoring");
        }

        // the pool: one GPU per Ollama instance, every instance an endpoint at its own concurrency
        List<String> ollamas = names.stream().filter(n -> n.matches("ollama-\\d+")).toList();
        assertThat(ollamas).hasSizeGreaterThan(1);
        RagstreamConfig job =
                RagstreamConfig.load(
                        ROOT.resolve("compose/job.yaml"),
                        List.of(),
                        Map.of("RAGSTREAM_PG_PASSWORD", "secret"));
        EmbeddingOptions embedding = EmbeddingOptions.from(job);
        assertThat(embedding.backend()).isEqualTo(EmbeddingBackendType.OLLAMA);
        Map<String, Integer> pool = new java.util.HashMap<>();
        embedding
                .endpoints()
                .forEach(e -> pool.put(URI.create(e.url()).getHost(), e.maxConcurrency()));
        assertThat(pool.keySet()).containsExactlyInAnyOrderElementsOf(ollamas);
        Set<String> gpus = new HashSet<>();
        for (String ollama : ollamas) {
            JsonNode service = services.path(ollama);
            JsonNode devices =
                    service.path("deploy").path("resources").path("reservations").path("devices");
            assertThat(devices).as("%s reserves a GPU", ollama).hasSize(1);
            assertThat(devices.get(0).path("capabilities"))
                    .extracting(JsonNode::asText)
                    .as(ollama)
                    .contains("gpu");
            devices.get(0)
                    .path("device_ids")
                    .forEach(
                            id ->
                                    assertThat(gpus.add(id.asText()))
                                            .as("%s has a GPU of its own", ollama)
                                            .isTrue());
            assertThat(service.path("environment").path("OLLAMA_NUM_PARALLEL").asInt())
                    .as(ollama)
                    .isEqualTo(pool.get(ollama));
        }
        String pull = services.path("ollama-pull").path("entrypoint").toString();
        assertThat(pull).contains("ollama pull " + embedding.model());
        ollamas.forEach(o -> assertThat(pull).contains(o));

        // the job's other services are Compose's
        assertThat(job.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("kafka:9092");
        assertThat(job.get(RagstreamOptions.POSTGRES_URL))
                .startsWith("jdbc:postgresql://postgres:5432/");
        // with a pgvector the job accepts (the tag leads with pgvector's version)
        String pgvector = services.path("postgres").path("image").asText();
        assertThat(pgvector).startsWith("pgvector/pgvector:");
        assertThat(PgVectorExtension.isSafe(pgvector.substring(pgvector.indexOf(':') + 1)))
                .as(pgvector)
                .isTrue();

        // Flink's image is the Flink of this build, and submit runs the job jar this build made
        for (String flink : List.of("jobmanager", "taskmanager", "submit")) {
            assertThat(services.path(flink).path("image").asText())
                    .isEqualTo(
                            "flink:" + EnvironmentInformation.getVersion() + "-scala_2.12-java17");
        }
        Path jar = FlinkRest.newestJobJar(ROOT.resolve("target"));
        assertThat(services.path("submit").path("volumes").toString())
                .contains(jar + ":/opt/ragstream/ragstream.jar");
        assertThat(services.path("submit").path("command"))
                .extracting(JsonNode::asText)
                .containsSequence("--config", "/ragstream/compose/job.yaml");
    }

    @Test
    void publishesOnLoopbackOnlyUnlessTheUserOptsIn() throws Exception {
        JsonNode services = YAML.readTree(compose(ENV, "config")).path("services");
        Map<String, List<String>> published = new java.util.TreeMap<>();
        services.fields()
                .forEachRemaining(
                        s -> {
                            List<String> hosts = new ArrayList<>();
                            s.getValue().path("ports").forEach(port -> hosts.add(hostIp(port)));
                            if (!hosts.isEmpty()) {
                                published.put(s.getKey(), hosts);
                            }
                        });
        assertThat(published)
                .containsOnlyKeys("kafka", "postgres", "jobmanager", "prometheus", "grafana");
        published.forEach(
                (service, hosts) -> assertThat(hosts).as(service).containsOnly("127.0.0.1"));

        Map<String, String> optedIn = new java.util.HashMap<>(ENV);
        optedIn.put("RAGSTREAM_FLINK_BIND", "0.0.0.0");
        JsonNode opened = YAML.readTree(compose(optedIn, "config")).path("services");
        assertThat(hostIp(opened.path("jobmanager").path("ports").get(0))).isEqualTo("0.0.0.0");
        assertThat(hostIp(opened.path("postgres").path("ports").get(0)))
                .isEqualTo("127.0.0.1"); // each opts in alone
    }

    @Test
    void takesThePostgresPasswordFromTheEnvironmentWithNoFallback() throws Exception {
        JsonNode services = YAML.readTree(compose(ENV, "config")).path("services");
        assertThat(services.path("postgres").path("environment").path("POSTGRES_PASSWORD").asText())
                .isEqualTo(PASSWORD);
        assertThat(
                        services.path("submit")
                                .path("environment")
                                .path("RAGSTREAM_PG_PASSWORD")
                                .asText())
                .isEqualTo(PASSWORD);

        String file = java.nio.file.Files.readString(ROOT.resolve("docker-compose.yml"));
        assertThat(file.lines().filter(l -> l.contains("PASSWORD")).filter(l -> l.contains("${")))
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l).contains(":?").doesNotContain(":-"));
        assertThat(file).doesNotContainIgnoringCase("password: ragstream");

        Process unset = start(Map.of(), "config", "-q");
        String errors = new String(unset.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(unset.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(unset.exitValue())
                .as("docker-compose config without RAGSTREAM_PG_PASSWORD")
                .isNotZero();
        assertThat(errors).contains("RAGSTREAM_PG_PASSWORD");
    }

    /**
     * The host address a published port binds: Compose v1 prints "IP:PUBLISHED:TARGET/tcp", v2 an
     * object.
     */
    private static String hostIp(JsonNode port) {
        if (port.isObject()) {
            return port.path("host_ip").asText("0.0.0.0");
        }
        String[] parts = port.asText().split(":");
        return parts.length == 3 ? parts[0] : "0.0.0.0";
    }

    /**
     * docker-compose with these arguments on docker-compose.yml and {@code env} (no bind opt-ins);
     * its standard output, or a failure with its messages.
     */
    private static String compose(Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        Process process = start(env, args);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("docker-compose %s finished", args[0])
                .isTrue();
        assertThat(process.exitValue())
                .as("docker-compose %s:%n%s", String.join(" ", args), errors + output)
                .isZero();
        return output;
    }

    /**
     * docker-compose started with these arguments, {@code env} set and the password and bind
     * variables of this shell removed.
     */
    private static Process start(Map<String, String> env, String... args) {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                "docker-compose",
                                "--profile",
                                "monitoring",
                                "-f",
                                "docker-compose.yml"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        builder.environment().remove("RAGSTREAM_PG_PASSWORD");
        BIND_VARIABLES.forEach(builder.environment()::remove);
        builder.environment().putAll(env);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new AssertionError(
                    "docker-compose is not installed: bin/ragstream setup installs it", e);
        }
    }
}
