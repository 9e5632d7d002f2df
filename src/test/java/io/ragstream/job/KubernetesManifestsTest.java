package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;
import io.ragstream.config.SinkMode;
import io.ragstream.embed.EmbeddingOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.runtime.util.EnvironmentInformation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * deploy/kubernetes/ as a cluster would take it, without one: the FlinkDeployment against the
 * Apache Flink Kubernetes Operator's own CRD schema (release 1.15.0, read in place from
 * ../shared/vendor), the standard objects as their Kubernetes model classes, every name, key, path
 * and variable the pods use present where it is looked for, the job's arguments and job.yaml loaded
 * as RagstreamJob.main loads them, no secret outside the Secret, and one Flink version and one
 * Flink configuration for the image, the manifest, the pom and flink-conf/config.yaml.
 */
class KubernetesManifestsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DIR = ROOT.resolve("deploy/kubernetes");
    private static final Path CRD =
            Path.of(
                    System.getProperty(
                            "ragstream.k8s.crd",
                            "../shared/vendor/flink-kubernetes-operator/"
                                    + "flinkdeployments.flink.apache.org-v1.yml.gz"));
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String FLINK_DEPLOYMENT = "flink.apache.org/v1beta1 FlinkDeployment";
    private static final Map<String, Class<?>> STANDARD_KINDS =
            Map.of(
                    "v1 ConfigMap", ConfigMap.class,
                    "v1 Secret", Secret.class,
                    "v1 PersistentVolumeClaim", PersistentVolumeClaim.class);
    private static final String MAIN_CONTAINER = "flink-main-container";
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern FILE_REFERENCE = Pattern.compile("\\$\\{file:([^}]+)}");

    /** One YAML document of a manifest file. */
    record Manifest(Path file, JsonNode node) {
        String type() {
            return node.path("apiVersion").asText() + " " + node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return ROOT.relativize(file) + " (" + type() + " " + name() + ")";
        }
    }

    private static List<Manifest> manifests;
    private static Schema flinkDeploymentSchema;

    @BeforeAll
    static void load() throws IOException {
        List<Manifest> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path file :
                    files.filter(f -> f.toString().matches(".*\\.ya?ml$")).sorted().toList()) {
                for (JsonNode node :
                        YAML.readerFor(JsonNode.class)
                                .<JsonNode>readValues(file.toFile())
                                .readAll()) {
                    all.add(new Manifest(file, node));
                }
            }
        }
        manifests = List.copyOf(all);
        assertThat(CRD)
                .as("the operator's CRD beside the checkout (-Dragstream.k8s.crd=FILE)")
                .isRegularFile();
        flinkDeploymentSchema =
                SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30())
                        .getSchema(asTheApiServerChecks(crdSchema("v1beta1")));
    }

    // ---- the FlinkDeployment against the operator's CRD ----

    @Test
    void everyManifestIsOfAKindThisTestChecks() {
        assertThat(manifests).extracting(Manifest::type).containsOnlyOnce(FLINK_DEPLOYMENT);
        for (Manifest m : manifests) {
            assertThat(m.type())
                    .as("%s: no check for this kind", m)
                    .isIn(concat(STANDARD_KINDS.keySet(), FLINK_DEPLOYMENT));
            assertThat(m.name())
                    .as("%s: metadata.name", m)
                    .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        }
    }

    @Test
    void theFlinkDeploymentMatchesTheOperatorsCrdSchema() {
        Manifest deployment = flinkDeployment();
        assertThat(errors(deployment.node())).as("%s against the CRD", deployment).isEmpty();
        // the schema leaves metadata to the API server: it is an ObjectMeta
        assertThat(unknownFields(typed(deployment.node().get("metadata"), ObjectMeta.class)))
                .isEmpty();
    }

    /** Each mutation breaks the copy in one place; the schema check has to say where. */
    @Test
    void theSchemaCheckRejectsWhatTheApiServerWould() {
        Map<String, Consumer<ObjectNode>> mutations = new LinkedHashMap<>();
        mutations.put(
                "/spec/job/upgradeMode",
                d -> job(d).put("upgradeMode", "sometimes")); // not in the enum
        mutations.put("/spec/flinkVersion", d -> spec(d).put("flinkVersion", "v9_9"));
        mutations.put("/spec/job/parallelism", d -> job(d).put("parallelism", "two"));
        mutations.put("/spec", d -> spec(d).put("upgradeMode", "savepoint")); // at the wrong level
        mutations.put(
                "/spec/podTemplate/spec/containers/0",
                d ->
                        ((ObjectNode) d.at("/spec/podTemplate/spec/containers/0"))
                                .set("volumeMount", new ArrayNode(null)));
        mutations.put(
                "/spec/taskManager/resource/cpu",
                d -> ((ObjectNode) d.at("/spec/taskManager/resource")).put("cpu", "two cores"));
        mutations.forEach(
                (location, mutation) -> {
                    ObjectNode copy = flinkDeployment().node().deepCopy();
                    mutation.accept(copy);
                    assertThat(errors(copy))
                            .as("errors after breaking %s", location)
                            .anySatisfy(e -> assertThat(e).startsWith(location + ":"));
                });
        // a misspelled field: kubectl's default --validate=strict refuses it, naming it
        ObjectNode misspelled = flinkDeployment().node().deepCopy();
        job(misspelled).set("paralelism", job(misspelled).remove("parallelism"));
        assertThat(errors(misspelled))
                .anySatisfy(e -> assertThat(e).startsWith("/spec/job:").contains("paralelism"));
        // flinkConfiguration keeps unknown fields (x-kubernetes-preserve-unknown-fields): any key
        ObjectNode copy = flinkDeployment().node().deepCopy();
        ((ObjectNode) copy.at("/spec/flinkConfiguration")).put("any.flink.key", "value");
        assertThat(errors(copy)).isEmpty();
    }

    // ---- the standard objects as their Kubernetes types ----

    @Test
    void standardObjectsParseAsTheirKubernetesTypesWithNoUnknownField() {
        for (Manifest m : manifests) {
            Class<?> type = STANDARD_KINDS.get(m.type());
            if (type != null) {
                assertThat(unknownFields(typed(m.node(), type))).as("%s", m).isEmpty();
            }
        }
        assertThat(unknownFields(podTemplate())).as("spec.podTemplate as a Pod").isEmpty();

        // the check can fail: a misspelled field lands in the model's additionalProperties
        ObjectNode misspelled = find("v1 ConfigMap", "ragstream-job").node().deepCopy();
        misspelled.set("dta", misspelled.remove("data"));
        assertThat(unknownFields(typed(misspelled, ConfigMap.class))).containsExactly(".dta");
        ObjectNode pod = flinkDeployment().node().get("spec").get("podTemplate").deepCopy();
        ((ObjectNode) pod.at("/spec/containers/0")).put("imagePullPolice", "Always");
        assertThat(unknownFields(typed(pod, Pod.class)))
                .containsExactly(".spec.containers[0].imagePullPolice");
    }

    @Test
    void thePodsFindEveryVolumeSecretKeyAndVariableTheyUse() {
        Pod pod = podTemplate();
        Container main = mainContainer(pod);
        Map<String, Volume> volumes =
                pod.getSpec().getVolumes().stream()
                        .collect(Collectors.toMap(Volume::getName, v -> v));
        for (VolumeMount mount : main.getVolumeMounts()) {
            assertThat(volumes)
                    .as("volume of mount %s", mount.getMountPath())
                    .containsKey(mount.getName());
        }
        for (Volume volume : volumes.values()) {
            if (volume.getConfigMap() != null) {
                find("v1 ConfigMap", volume.getConfigMap().getName());
            } else if (volume.getSecret() != null) {
                find("v1 Secret", volume.getSecret().getSecretName());
            } else if (volume.getPersistentVolumeClaim() != null) {
                find("v1 PersistentVolumeClaim", volume.getPersistentVolumeClaim().getClaimName());
            } else {
                throw new AssertionError("volume " + volume.getName() + ": no check for its type");
            }
        }
        for (SecretKeySelector ref : secretKeyRefs(main)) {
            assertThat(secretKeys(ref.getName())).as("env from %s", ref).contains(ref.getKey());
        }

        // every file under a mounted ConfigMap or Secret that job.yaml, the args or Flink's
        // settings name is one of its keys, and every key of the Secret is used
        String uses =
                String.join(
                        "\n", jobYaml(), String.join(" ", args()), flinkConfiguration().toString());
        Map<String, Set<String>> filesByMount = mountedFiles(pod);
        Set<String> used = new TreeSet<>();
        filesByMount.forEach(
                (mountPath, keys) -> {
                    Matcher m =
                            Pattern.compile(Pattern.quote(mountPath) + "/([A-Za-z0-9._-]+)")
                                    .matcher(uses);
                    while (m.find()) {
                        assertThat(keys).as("%s/%s", mountPath, m.group(1)).contains(m.group(1));
                        used.add(mountPath + "/" + m.group(1));
                    }
                });
        Set<String> envFromSecret =
                secretKeyRefs(main).stream()
                        .map(SecretKeySelector::getKey)
                        .collect(Collectors.toSet());
        String secretMount = mountPathOf(pod, "v1 Secret");
        for (String key : secretKeys("ragstream-secrets")) {
            assertThat(used.contains(secretMount + "/" + key) || envFromSecret.contains(key))
                    .as("Secret key %s is used by job.yaml or an env variable", key)
                    .isTrue();
        }
        // ${NAME} in job.yaml: a variable the container sets
        Matcher env = ENV_REFERENCE.matcher(jobYaml());
        Set<String> variables =
                main.getEnv().stream().map(EnvVar::getName).collect(Collectors.toSet());
        while (env.find()) {
            assertThat(variables).as("${%s} in job.yaml", env.group(1)).contains(env.group(1));
        }
        // checkpoints, savepoints and HA metadata on the volume every pod shares
        String shared = "file://" + mountPathOf(pod, "v1 PersistentVolumeClaim") + "/";
        for (String key :
                List.of(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.storageDir")) {
            assertThat(flinkConfiguration().get(key)).as(key).startsWith(shared);
        }
        // the operator merges the template into its own container by this name; the mounts are on
        // both JobManager and TaskManagers (main() reads job.yaml, the tasks read ${file:} secrets)
        assertThat(flinkDeployment().node().at("/spec/jobManager/podTemplate").isMissingNode())
                .isTrue();
        assertThat(flinkDeployment().node().at("/spec/taskManager/podTemplate").isMissingNode())
                .isTrue();
    }

    // ---- the job's arguments and configuration ----

    @Test
    void theArgsLoadTheConfigMapsJobYamlAsMainDoes(@TempDir Path tmp) throws IOException {
        List<String> args = new ArrayList<>(args());
        int config = args.indexOf("--config");
        assertThat(config).as("--config in job.args").isNotNegative();
        Path mounted = Path.of(args.get(config + 1));
        assertThat(mounted.getParent().toString())
                .isEqualTo(mountPathOf(podTemplate(), "v1 ConfigMap"));
        assertThat(configMapData()).containsKey(mounted.getFileName().toString());

        Path jobYaml = Files.writeString(tmp.resolve("job.yaml"), jobYaml());
        args.set(config + 1, jobYaml.toString());
        RagstreamConfig loaded = JobArguments.parse(args.toArray(String[]::new));
        EmbeddingOptions.from(loaded); // the model and the backend settings are valid
        assertThat(loaded.get(RagstreamOptions.SINK_MODE)).isEqualTo(SinkMode.EXACTLY_ONCE);
        // neither parallelism is set, so both follow spec.job.parallelism (the operator makes it
        // parallelism.default), and the README's scaling patch changes only that
        assertThat(loaded.isSet(RagstreamOptions.PARALLELISM)).isFalse();
        assertThat(loaded.isSet(RagstreamOptions.EMBEDDING_PARALLELISM)).isFalse();
        int parallelism = flinkDeployment().node().at("/spec/job/parallelism").asInt();
        RagstreamConfig onTheCluster = RagstreamJob.followFlinkParallelism(loaded, parallelism);
        assertThat(onTheCluster.get(RagstreamOptions.PARALLELISM)).isEqualTo(parallelism);
        assertThat(onTheCluster.get(RagstreamOptions.EMBEDDING_PARALLELISM)).isEqualTo(parallelism);
        assertThat(flinkDeployment().node().at("/spec/job/entryClass").asText())
                .isEqualTo(RagstreamJob.class.getName());

        // a misspelled key in the ConfigMap fails at the job's start, naming it
        Files.writeString(jobYaml, jobYaml().replace("bootstrap-servers:", "bootstrap-server:"));
        assertThatThrownBy(() -> JobArguments.parse(args.toArray(String[]::new)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.bootstrap-server");
    }

    @Test
    void secretsAreOnlyReferencedOutsideTheSecret() throws IOException {
        Map<String, String> settings = new TreeMap<>();
        flatten("", YAML.readTree(jobYaml()), settings);
        assertThat(settings).containsKeys("postgres.password", "kafka.properties.sasl.jaas.config");
        settings.forEach(
                (key, value) -> {
                    if (Secrets.isSecretKey(key)) {
                        assertThat(value).as(key).matches("\\$\\{[^}]+}");
                    }
                    assertThat(Secrets.redactUrl(value))
                            .as("%s: a URL with a secret", key)
                            .isEqualTo(value);
                });
        assertThat(FILE_REFERENCE.matcher(jobYaml()).results().count()).isPositive();
        // program arguments are shown by the REST API and web UI: the project's own check
        List<String> overrides = new ArrayList<>();
        for (int i = 0; i < args().size() - 1; i++) {
            if (args().get(i).equals("--set")) {
                overrides.add(args().get(i + 1));
            }
        }
        Secrets.refuseInProgramArguments(overrides);
        flinkConfiguration()
                .keySet()
                .forEach(k -> assertThat(Secrets.isSecretKey(k)).as(k).isFalse());

        // the Secret in the repository is a template of placeholders, outside what kubectl apply
        // -f deploy/kubernetes/ reads (it does not recurse), so the real one is never overwritten
        Manifest secret = find("v1 Secret", "ragstream-secrets");
        assertThat(secret.file().getParent()).isNotEqualTo(DIR);
        Secret typed = typed(secret.node(), Secret.class);
        assertThat(typed.getData()).isNullOrEmpty();
        assertThat(typed.getStringData())
                .isNotEmpty()
                .allSatisfy((k, v) -> assertThat(v).isEqualTo("REPLACE_ME"));
        for (Manifest m : manifests) {
            if (m.file().getParent().equals(DIR)) {
                assertThat(m.type()).as("%s", m).isNotEqualTo("v1 Secret");
                assertThat(m.node().toString()).as("%s", m).doesNotContain("REPLACE_ME");
            }
        }
    }

    // ---- one Flink: image, manifest, pom, flink-conf ----

    @Test
    void theImageTheManifestAndThePomAreOnOneFlinkVersion() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        String flink = group(pom, "<flink\\.version>([^<]+)</flink\\.version>");
        assertThat(EnvironmentInformation.getVersion()).isEqualTo(flink);
        String java =
                group(pom, "<maven\\.compiler\\.release>([^<]+)</maven\\.compiler\\.release>");

        String dockerfile = Files.readString(DIR.resolve("Dockerfile"));
        List<String> from =
                Pattern.compile("(?m)^FROM\\s+(\\S+)")
                        .matcher(dockerfile)
                        .results()
                        .map(r -> r.group(1))
                        .toList();
        // the official image (flink:<version>-scala_<scala>-java<release>), as the last stage
        assertThat(from.get(from.size() - 1))
                .matches("flink:" + Pattern.quote(flink) + "-scala_2\\.12-java" + java);
        String[] v = flink.split("\\.");
        assertThat(flinkDeployment().node().at("/spec/flinkVersion").asText())
                .isEqualTo("v" + v[0] + "_" + v[1]);
        // the lib/ additions from the list the other clusters use, with the same Maven image
        assertThat(dockerfile)
                .contains("-f /build/cluster-lib.pom.xml dependency:copy-dependencies");
        assertThat(group(dockerfile, "(?m)^COPY\\s+(\\S+)\\s+/build/cluster-lib\\.pom\\.xml"))
                .isEqualTo("bin/lib/cluster-lib.pom.xml");
        String compose = Files.readString(ROOT.resolve("docker-compose.yml"));
        assertThat(from.get(0))
                .startsWith("maven:")
                .isEqualTo(group(compose, "\\$\\{MAVEN_IMAGE:-([^}]+)}"));
        // the jar where job.jarURI points, and both sources in the build context
        Matcher copy =
                Pattern.compile("(?m)^COPY\\s+(target/\\S+\\.jar)\\s+(\\S+)$").matcher(dockerfile);
        assertThat(copy.find()).isTrue();
        assertThat(flinkDeployment().node().at("/spec/job/jarURI").asText())
                .isEqualTo("local://" + copy.group(2));
        List<String> ignore = Files.readAllLines(DIR.resolve("Dockerfile.dockerignore"));
        assertThat(ignore).contains("*", "!" + copy.group(1), "!bin/lib/cluster-lib.pom.xml");
    }

    @Test
    void flinkConfigurationIsFlinkConfsForACluster() {
        Map<String, String> deployed = flinkConfiguration();
        Configuration manifest = Configuration.fromMap(deployed);
        Configuration flinkConf =
                GlobalConfiguration.loadConfiguration(ROOT.resolve("flink-conf").toString());
        // set by the operator from the spec (or for its own REST service), never in
        // flinkConfiguration
        Map<String, String> fromSpec =
                Map.of(
                        "rest.port", "the operator's REST service",
                        "rest.address", "the operator's REST service",
                        "rest.bind-address", "the operator's REST service",
                        "parallelism.default", "spec.job.parallelism",
                        "jobmanager.memory.process.size", "spec.jobManager.resource.memory",
                        "taskmanager.memory.process.size", "spec.taskManager.resource.memory");
        for (String key : flinkConf.keySet()) {
            if (fromSpec.containsKey(key)) {
                assertThat(deployed)
                        .as("%s comes from %s", key, fromSpec.get(key))
                        .doesNotContainKey(key);
            } else if (key.equals("taskmanager.numberOfTaskSlots")) {
                assertThat(manifest.get(ConfigOptions.key(key).intType().noDefaultValue()))
                        .isPositive();
            } else if (key.equals("metrics.reporter.prom.port")) {
                // one JVM per pod: one port, from the range local JVMs pick from
                String[] range = flinkConf.getString(key, "").split("-");
                assertThat(Integer.parseInt(deployed.get(key)))
                        .isBetween(
                                Integer.parseInt(range[0]),
                                Integer.parseInt(range[range.length - 1]));
            } else {
                ConfigOption<List<String>> option =
                        ConfigOptions.key(key).stringType().asList().noDefaultValue();
                assertThat(deployed)
                        .as("flinkConfiguration has flink-conf's %s", key)
                        .containsKey(key);
                assertThat(manifest.get(option)).as(key).isEqualTo(flinkConf.get(option));
            }
        }
        // what only a cluster on Kubernetes sets: where its shared storage is, and its HA
        Set<String> extra = new TreeSet<>(deployed.keySet());
        extra.removeAll(flinkConf.keySet());
        assertThat(extra)
                .containsExactlyInAnyOrder(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.type",
                        "high-availability.storageDir");
        assertThat(flinkConf.toMap().get("env.java.opts.all"))
                .contains("--add-opens=java.base/java.util=ALL-UNNAMED");
        // the pods get flink-conf's memory, which the operator sets from the resources
        JsonNode spec = flinkDeployment().node().get("spec");
        assertThat(MemorySize.parse(spec.at("/jobManager/resource/memory").asText()))
                .isEqualTo(
                        MemorySize.parse(flinkConf.toMap().get("jobmanager.memory.process.size")));
        assertThat(MemorySize.parse(spec.at("/taskManager/resource/memory").asText()))
                .isEqualTo(
                        MemorySize.parse(flinkConf.toMap().get("taskmanager.memory.process.size")));
    }

    // ---- helpers ----

    private static List<String> errors(JsonNode deployment) {
        return flinkDeploymentSchema.validate(deployment).stream()
                .map(e -> e.getInstanceLocation() + ": " + e.getMessage())
                .toList();
    }

    private static JsonNode crdSchema(String version) throws IOException {
        JsonNode crd;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(CRD))) {
            crd = YAML.readTree(in);
        }
        assertThat(crd.at("/spec/names/kind").asText()).isEqualTo("FlinkDeployment");
        for (JsonNode v : crd.at("/spec/versions")) {
            if (v.path("name").asText().equals(version)) {
                return v.at("/schema/openAPIV3Schema");
            }
        }
        throw new AssertionError("no version " + version + " in " + CRD);
    }

    /**
     * The CRD's schema as the API server applies it: apiVersion, kind and metadata are implicit at
     * the root, and a field the schema does not name is an error (kubectl's default
     * --validate=strict) except under x-kubernetes-preserve-unknown-fields. The other
     * x-kubernetes-* keywords only guide the server's pruning and merging; they are dropped
     * (int-or-string fields carry their anyOf).
     */
    private static JsonNode asTheApiServerChecks(JsonNode openApiV3Schema) {
        ObjectNode root = openApiV3Schema.deepCopy();
        strict(root);
        ObjectNode properties = (ObjectNode) root.get("properties");
        properties.putObject("apiVersion").put("type", "string");
        properties.putObject("kind").put("type", "string");
        properties.putObject("metadata").put("type", "object");
        return root;
    }

    private static void strict(JsonNode node) {
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        schema.properties().removeIf(e -> e.getKey().startsWith("x-kubernetes-"));
        if (schema.has("properties")) {
            schema.get("properties").forEach(KubernetesManifestsTest::strict);
            if (!preserve && !schema.has("additionalProperties")) {
                schema.set("additionalProperties", BooleanNode.FALSE);
            }
        }
        strict(schema.get("items"));
        strict(schema.get("additionalProperties"));
        for (String list : List.of("anyOf", "allOf", "oneOf")) {
            if (schema.has(list)) {
                schema.get(list).forEach(KubernetesManifestsTest::strict);
            }
        }
    }

    private static <T> T typed(JsonNode node, Class<T> type) {
        try {
            return YAML.treeToValue(node, type);
        } catch (IOException e) {
            throw new AssertionError("not a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The Kubernetes model keeps fields it does not know in each object's additionalProperties
     * instead of failing: the paths of every such field, through the whole object.
     */
    private static List<String> unknownFields(Object model) {
        List<String> out = new ArrayList<>();
        collectUnknown(model, "", out);
        return out;
    }

    private static void collectUnknown(Object value, String path, List<String> out) {
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object e : list) {
                collectUnknown(e, path + "[" + i++ + "]", out);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknown(v, path + "." + k, out));
        } else if (value != null
                && value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model.")) {
            for (Method getter : value.getClass().getMethods()) {
                if (getter.getParameterCount() != 0
                        || !getter.getName().startsWith("get")
                        || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                Object child;
                try {
                    child = getter.invoke(value);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                String name = getter.getName().substring(3);
                if (name.equals("AdditionalProperties")) {
                    ((Map<?, ?>) child).keySet().forEach(k -> out.add(path + "." + k));
                } else {
                    collectUnknown(
                            child,
                            path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1),
                            out);
                }
            }
        }
    }

    private static Manifest flinkDeployment() {
        return manifests.stream()
                .filter(m -> m.type().equals(FLINK_DEPLOYMENT))
                .findFirst()
                .orElseThrow();
    }

    private static Manifest find(String type, String name) {
        return manifests.stream()
                .filter(m -> m.type().equals(type) && m.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () -> new AssertionError("no " + type + " named " + name + " in " + DIR));
    }

    private static ObjectNode spec(ObjectNode deployment) {
        return (ObjectNode) deployment.get("spec");
    }

    private static ObjectNode job(ObjectNode deployment) {
        return (ObjectNode) deployment.get("spec").get("job");
    }

    private static Pod podTemplate() {
        return typed(flinkDeployment().node().at("/spec/podTemplate"), Pod.class);
    }

    private static Container mainContainer(Pod pod) {
        assertThat(pod.getSpec().getContainers())
                .extracting(Container::getName)
                .containsExactly(MAIN_CONTAINER);
        return pod.getSpec().getContainers().get(0);
    }

    private static List<SecretKeySelector> secretKeyRefs(Container container) {
        return container.getEnv().stream()
                .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                .map(e -> e.getValueFrom().getSecretKeyRef())
                .toList();
    }

    private static List<String> args() {
        List<String> args = new ArrayList<>();
        flinkDeployment().node().at("/spec/job/args").forEach(a -> args.add(a.asText()));
        return args;
    }

    private static Map<String, String> flinkConfiguration() {
        Map<String, String> out = new TreeMap<>();
        flinkDeployment()
                .node()
                .at("/spec/flinkConfiguration")
                .properties()
                .forEach(
                        e -> {
                            // strings, as the operator's map of Flink settings takes them
                            assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue();
                            out.put(e.getKey(), e.getValue().asText());
                        });
        return out;
    }

    private static Map<String, String> configMapData() {
        return typed(find("v1 ConfigMap", "ragstream-job").node(), ConfigMap.class).getData();
    }

    private static String jobYaml() {
        return configMapData().get("job.yaml");
    }

    private static Set<String> secretKeys(String name) {
        Secret secret = typed(find("v1 Secret", name).node(), Secret.class);
        Set<String> keys = new TreeSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    /** Mount path of the main container's volume of a kind → the file names it shows. */
    private static Map<String, Set<String>> mountedFiles(Pod pod) {
        Map<String, Set<String>> out = new HashMap<>();
        out.put(mountPathOf(pod, "v1 ConfigMap"), configMapData().keySet());
        out.put(mountPathOf(pod, "v1 Secret"), secretKeys("ragstream-secrets"));
        return out;
    }

    private static String mountPathOf(Pod pod, String kind) {
        List<String> paths = new ArrayList<>();
        for (VolumeMount mount : mainContainer(pod).getVolumeMounts()) {
            Volume volume =
                    pod.getSpec().getVolumes().stream()
                            .filter(v -> v.getName().equals(mount.getName()))
                            .findFirst()
                            .orElseThrow();
            boolean of =
                    switch (kind) {
                        case "v1 ConfigMap" -> volume.getConfigMap() != null;
                        case "v1 Secret" -> volume.getSecret() != null;
                        case "v1 PersistentVolumeClaim" ->
                                volume.getPersistentVolumeClaim() != null;
                        default -> false;
                    };
            if (of) {
                paths.add(mount.getMountPath());
            }
        }
        assertThat(paths).as("mounts of a %s", kind).hasSize(1);
        return paths.get(0);
    }

    /** Nested YAML maps as dotted keys, as RagstreamConfig reads job.yaml. */
    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        node.properties()
                .forEach(
                        e -> {
                            if (e.getValue().isObject()) {
                                flatten(prefix + e.getKey() + ".", e.getValue(), out);
                            } else {
                                out.put(prefix + e.getKey(), e.getValue().asText());
                            }
                        });
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("/%s/", regex).isTrue();
        return m.group(1);
    }

    private static Set<String> concat(Set<String> set, String one) {
        Set<String> out = new TreeSet<>(set);
        out.add(one);
        return out;
    }
}
