package io.ragstream.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Flink cluster's REST API, as far as operating ragstream needs it: upload and run the job jar,
 * wait for it to run, stop it with a savepoint or cancel it, and read the {@code ragstream} metrics
 * of its operators. Every failure is a {@link ClusterException} that says which call failed and
 * what the cluster answered.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Histogram statistics: summing them over subtasks means nothing, their maximum does. */
    private static final Pattern HISTOGRAM_STAT =
            Pattern.compile(".*_(min|max|mean|median|stddev|p\\d+)$");

    private final URI base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(URI base) {
        this.base = URI.create(base.toString().replaceAll("/+$", "") + "/");
    }

    public URI base() {
        return base;
    }

    /**
     * Uploads the job jar, runs it with these arguments (from a savepoint if one is given, at a
     * parallelism if one is given, as {@code flink run -p}; else the cluster's {@code
     * parallelism.default}), and waits until every task runs; returns the job id. The uploaded jar
     * is deleted once the job is submitted: the job keeps its own copy in the cluster's blob
     * server.
     */
    public String submit(
            Path jar, List<String> args, String savepoint, Integer parallelism, Duration timeout)
            throws IOException, InterruptedException {
        String jarId = uploadJar(jar);
        String jobId;
        try {
            jobId = runJar(jarId, args, savepoint, parallelism);
        } finally {
            try {
                deleteJar(jarId);
            } catch (ClusterException e) {
                // a jar left in the upload folder is harmless; why the job did not run matters more
            }
        }
        awaitRunning(jobId, timeout);
        return jobId;
    }

    /**
     * The newest job jar in a build's target folder (the shaded {@code ragstream-<version>.jar}).
     */
    public static Path newestJobJar(Path target) throws IOException {
        if (!Files.isDirectory(target)) {
            throw new ClusterException("no " + target + ": build the job jar with mvn package");
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("ragstream-.*\\.jar"))
                    .max(Comparator.comparingLong(p -> p.toFile().lastModified()))
                    .orElseThrow(
                            () ->
                                    new ClusterException(
                                            "no job jar in "
                                                    + target
                                                    + ": build it with mvn package"));
        }
    }

    /** Uploads a job jar; returns its id on the cluster. */
    String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "ragstream-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode answer =
                send(
                        "upload " + jar,
                        HttpRequest.newBuilder(base.resolve("jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        String file = answer.path("filename").asText();
        return file.substring(file.lastIndexOf('/') + 1);
    }

    /**
     * Runs an uploaded jar's main class with these arguments, from a savepoint and at a parallelism
     * if they are given; returns the job id.
     */
    String runJar(String jarId, List<String> args, String savepoint, Integer parallelism)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode();
        request.putPOJO("programArgsList", args);
        if (savepoint != null) {
            request.put("savepointPath", savepoint);
        }
        if (parallelism != null) {
            request.put("parallelism", parallelism);
        }
        return send("run the job", post("jars/" + jarId + "/run", request)).path("jobid").asText();
    }

    void deleteJar(String jarId) throws IOException, InterruptedException {
        send("delete jar " + jarId, HttpRequest.newBuilder(base.resolve("jars/" + jarId)).DELETE());
    }

    /** {@code GET /jobs/<id>}: the job's state and its vertices. */
    public JsonNode job(String jobId) throws IOException, InterruptedException {
        return get("jobs/" + jobId);
    }

    /** Ids of the jobs that are neither finished, cancelled nor failed. */
    public List<String> activeJobs() throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        for (JsonNode job : get("jobs/overview").path("jobs")) {
            if (!List.of("FINISHED", "CANCELED", "FAILED").contains(job.path("state").asText())) {
                ids.add(job.path("jid").asText());
            }
        }
        return ids;
    }

    /**
     * Waits until the job and every one of its tasks run; fails with the job's exception if it
     * fails or restarts.
     */
    void awaitRunning(String jobId, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        String state = "";
        while (Instant.now().isBefore(deadline)) {
            JsonNode job = job(jobId);
            state = job.path("state").asText();
            // a job that restarts before every task ran fails to start: say why rather than wait
            if (List.of("FAILED", "FAILING", "RESTARTING", "CANCELED", "FINISHED")
                    .contains(state)) {
                JsonNode latest =
                        get("jobs/" + jobId + "/exceptions")
                                .path("exceptionHistory")
                                .path("entries")
                                .path(0);
                throw new ClusterException(
                        "job "
                                + jobId
                                + " is "
                                + state
                                + (state.equals("RESTARTING")
                                        ? " (and keeps restarting on the cluster until cancelled): "
                                        : ": ")
                                + (latest.isMissingNode()
                                        ? "(no exception recorded)"
                                        : rootCause(latest.path("stacktrace").asText())));
            }
            boolean allRunning = state.equals("RUNNING");
            for (JsonNode vertex : job.path("vertices")) {
                allRunning &= vertex.path("status").asText().equals("RUNNING");
            }
            if (allRunning) {
                return;
            }
            Thread.sleep(250);
        }
        throw new ClusterException(
                "job " + jobId + " is not running after " + timeout + " (state " + state + ")");
    }

    /**
     * Waits up to {@code wait} until the cluster has {@code slots} free task slots, one per subtask
     * at the job's parallelism (a job stopped a moment ago frees its own a little later); else
     * fails saying what the cluster has. Submitted without them, the job would wait for slots that
     * never come, and report nothing until Flink's slot request timed out.
     */
    public void awaitFreeSlots(int slots, Duration wait) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(wait);
        JsonNode overview = get("overview");
        while (overview.path("slots-available").asInt() < slots
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            overview = get("overview");
        }
        int free = overview.path("slots-available").asInt();
        if (free < slots) {
            throw new ClusterException(
                    "the job needs "
                            + slots
                            + " task slots (one per subtask at its parallelism), but the cluster has "
                            + free
                            + " free of "
                            + overview.path("slots-total").asInt()
                            + " on "
                            + overview.path("taskmanagers").asInt()
                            + " TaskManager(s): lower the parallelism, stop another job, or start"
                            + " more TaskManagers");
        }
    }

    /** The cluster's configuration, as {@code GET /jobmanager/config} lists it. */
    public Map<String, String> configuration() throws IOException, InterruptedException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (JsonNode setting : get("jobmanager/config")) {
            settings.put(setting.path("key").asText(), setting.path("value").asText().strip());
        }
        return settings;
    }

    /**
     * Whether a job on this cluster needs a free task slot for each of its subtasks now. Only a
     * standalone cluster's slots are all it has (native Kubernetes and YARN start TaskManagers when
     * a job asks), and only Flink's default scheduler waits for all of them (the adaptive one, and
     * reactive mode, run the job at the parallelism the slots allow).
     */
    public static boolean jobsNeedTheirSlotsFree(Map<String, String> configuration) {
        String target = configuration.getOrDefault("deployment.target", "");
        boolean startsTaskManagers =
                target.startsWith("kubernetes")
                        || target.startsWith("yarn")
                        || configuration.containsKey("kubernetes.cluster-id");
        boolean adaptive =
                configuration
                                .getOrDefault("jobmanager.scheduler", "default")
                                .equalsIgnoreCase("adaptive")
                        || configuration
                                .getOrDefault("scheduler-mode", "")
                                .equalsIgnoreCase("reactive");
        return !startsTaskManagers && !adaptive;
    }

    /**
     * Stops the job with a savepoint in {@code targetDirectory} (null: the cluster's
     * execution.checkpointing.savepoint-dir) and returns the savepoint's location.
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode().put("drain", false);
        if (targetDirectory != null) {
            request.put("targetDirectory", targetDirectory);
        }
        String trigger =
                send(
                                "stop job " + jobId + " with a savepoint",
                                post("jobs/" + jobId + "/stop", request))
                        .path("request-id")
                        .asText();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            JsonNode answer = get("jobs/" + jobId + "/savepoints/" + trigger);
            if (answer.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode operation = answer.path("operation");
                if (operation.has("failure-cause")) {
                    throw new ClusterException(
                            "the savepoint of job "
                                    + jobId
                                    + " failed: "
                                    + rootCause(
                                            operation
                                                    .path("failure-cause")
                                                    .path("stack-trace")
                                                    .asText()));
                }
                return operation.path("location").asText();
            }
            Thread.sleep(250);
        }
        throw new ClusterException(
                "the savepoint of job " + jobId + " did not complete within " + timeout);
    }

    public void cancel(String jobId) throws IOException, InterruptedException {
        send(
                "cancel job " + jobId,
                HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    /**
     * The job's {@code ragstream} metrics by operator, e.g. {@code
     * "Parse_document_events.ragstream.documentsIn"}: counters and gauges summed over the subtasks,
     * histogram statistics their maximum. The cluster refreshes what REST shows every
     * metrics.fetcher.update-interval (10 s by default).
     */
    public Map<String, Double> ragstreamMetrics(String jobId)
            throws IOException, InterruptedException {
        Map<String, Double> metrics = new TreeMap<>();
        for (JsonNode vertex : job(jobId).path("vertices")) {
            String path =
                    "jobs/"
                            + jobId
                            + "/vertices/"
                            + vertex.path("id").asText()
                            + "/subtasks/metrics";
            List<String> names = new ArrayList<>();
            for (JsonNode metric : get(path)) {
                String name = metric.path("id").asText();
                if (name.contains(".ragstream.")) {
                    names.add(name);
                }
            }
            if (names.isEmpty()) {
                continue;
            }
            String query = URLEncoder.encode(String.join(",", names), StandardCharsets.UTF_8);
            for (JsonNode metric : get(path + "?agg=sum,max&get=" + query)) {
                String name = metric.path("id").asText();
                metrics.put(
                        name,
                        metric.path(HISTOGRAM_STAT.matcher(name).matches() ? "max" : "sum")
                                .asDouble());
            }
        }
        return metrics;
    }

    private HttpRequest.Builder post(String path, JsonNode body) throws IOException {
        return HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    }

    /** {@code GET} a path of the REST API, e.g. {@code jobs/<id>/checkpoints/config}. */
    public JsonNode get(String path) throws IOException, InterruptedException {
        return send("GET /" + path, HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    private JsonNode send(String what, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response =
                    http.send(
                            request.timeout(Duration.ofMinutes(2)).build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new ClusterException(
                    "no Flink cluster answers at "
                            + base
                            + " (start one with bin/ragstream cluster start, "
                            + "or point --rest at yours)",
                    e);
        }
        JsonNode body =
                response.body().isBlank()
                        ? JSON.createObjectNode()
                        : JSON.readTree(response.body());
        if (response.statusCode() >= 300) {
            List<String> errors = new ArrayList<>();
            body.path("errors").forEach(e -> errors.add(rootCause(e.asText())));
            throw new ClusterException(
                    "could not "
                            + what
                            + ": the cluster at "
                            + base
                            + " answered "
                            + response.statusCode()
                            + (errors.isEmpty()
                                    ? " " + response.body()
                                    : ": " + String.join("; ", errors)));
        }
        return body;
    }

    /**
     * What a user needs from a Java stack trace as Flink's REST API returns it: the error of the
     * job's main() when there is one ("Connection to 127.0.0.1:5432 refused ..."), else the
     * innermost cause, not the handlers that wrapped it.
     */
    static String rootCause(String trace) {
        String mainError = "The main method caused an error: ";
        String cause =
                trace.lines()
                        .filter(l -> !l.isBlank() && !l.startsWith("<Exception on server side"))
                        .findFirst()
                        .orElse(trace);
        for (String line : trace.lines().toList()) {
            if (line.contains(mainError)) {
                return line.substring(line.indexOf(mainError) + mainError.length()).strip();
            }
            if (line.startsWith("Caused by: ")) {
                cause = line.substring("Caused by: ".length());
            }
        }
        return cause.strip();
    }
}
