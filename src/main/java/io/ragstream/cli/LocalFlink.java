package io.ragstream.cli;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.ingest.TableSource;
import io.ragstream.job.RagstreamJob;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The job on a Flink mini cluster inside this JVM, with the web UI, configured by {@code
 * flink-conf/config.yaml}. Checkpoints are retained per pipeline, under {@code <checkpoint
 * root>/<pipeline id>/<state backend>}, and a run resumes only from its own pipeline's newest one:
 * a run pointed at other topics, another database, table, model or quantization starts afresh with
 * a consumer group of its own.
 */
final class LocalFlink {
    static final String IDENTITY_FILE = "pipeline.txt";

    /**
     * Where a pipeline's folder names the checkpoint or savepoint its last --from-checkpoint run
     * started from.
     */
    static final String RESTORED_FROM = "restored-from.txt";

    static final String SAVEPOINTS = "savepoints";
    private static final Pattern URI_SCHEME = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*:.*");

    private LocalFlink() {}

    /** Where a streaming run starts from: nothing, its own newest checkpoint, or a given one. */
    record Restore(boolean newest, Path checkpoint) {
        static final Restore NONE = new Restore(false, null);
        static final Restore NEWEST = new Restore(true, null);

        static Restore from(Path checkpoint) {
            return new Restore(false, checkpoint);
        }
    }

    /** The streaming job, restored as {@code restore} says. */
    static JobClient start(RagstreamConfig config, Restore restore) throws Exception {
        return start(config, restore, true, env -> RagstreamJob.buildFromConfig(env, config));
    }

    /** The same pipeline over files, bounded. */
    static JobClient startBackfill(RagstreamConfig config, List<Path> files) throws Exception {
        return start(
                config, Restore.NONE, false, env -> RagstreamJob.buildBackfill(env, config, files));
    }

    /**
     * The same pipeline over a database table's rows, bounded; the table and its settings are
     * checked first, so a mistake leaves no folder behind.
     */
    static JobClient startTableBackfill(RagstreamConfig config, String table) throws Exception {
        TableSource rows = TableSource.from(config, table);
        System.out.println("backfilling " + rows.description());
        return start(
                config,
                Restore.NONE,
                false,
                env -> RagstreamJob.buildTableBackfill(env, config, rows));
    }

    private interface JobBuilder {
        void build(StreamExecutionEnvironment env) throws Exception;
    }

    private static JobClient start(
            RagstreamConfig config, Restore restore, boolean streaming, JobBuilder job)
            throws Exception {
        Path home = RagstreamCli.home();
        Configuration flink = flinkConfiguration(home);
        PipelineIdentity identity = PipelineIdentity.of(config);
        String group = PipelineIdentity.consumerGroup(config);
        Path root = checkpointRoot(config, home);
        Path checkpoints =
                checkpointFolder(root, identity, flink.get(StateBackendOptions.STATE_BACKEND));
        Optional<Path> from =
                restore.checkpoint() != null
                        ? Optional.of(completedCheckpoint(restore.checkpoint()))
                        : restore.newest() ? latestCheckpoint(checkpoints) : Optional.empty();
        // only once every argument is known good: a mistyped command leaves no folder behind
        Files.createDirectories(checkpoints);
        writeIdentityFile(checkpoints.getParent(), identity, group);
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        // a stop with a savepoint and no target folder writes it here, where the next run finds it
        flink.set(
                CheckpointingOptions.SAVEPOINT_DIRECTORY,
                checkpoints.resolve(SAVEPOINTS).toUri().toString());
        if (restore.checkpoint() != null) {
            // a job stopped with a savepoint drops its own checkpoints: until this run takes one,
            // the savepoint it started from is the pipeline's newest state
            Files.writeString(checkpoints.resolve(RESTORED_FROM), from.orElseThrow() + "\n");
        }
        if (from.isPresent()) {
            System.out.println(
                    "resuming "
                            + identity.description()
                            + " from "
                            + from.get()
                            + (restore.checkpoint() != null ? " (--from-checkpoint)" : ""));
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, from.get().toUri().toString());
        } else if (streaming) {
            System.out.println(afreshMessage(config, identity, group));
            legacyCheckpoint(root, flink.get(StateBackendOptions.STATE_BACKEND))
                    .ifPresent(
                            old ->
                                    System.out.println(
                                            "note: "
                                                    + old
                                                    + " was written by an earlier ragstream that kept one folder for every pipeline; "
                                                    + "it is not resumed. To carry on from it: --from-checkpoint "
                                                    + old
                                                    + " --set kafka.group-id=ragstream"));
        }
        System.out.println("checkpoints of this pipeline go to " + checkpoints);

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        job.build(env);
        JobClient client = env.executeAsync("ragstream");
        System.out.println(
                "job "
                        + client.getJobID()
                        + " running; web UI on http://localhost:"
                        + flink.get(RestOptions.PORT));
        return client;
    }

    private static Configuration flinkConfiguration(Path home) {
        return GlobalConfiguration.loadConfiguration(home.resolve("flink-conf").toString());
    }

    /**
     * After a {@code --from-checkpoint} run whose job refused that state (another index's, another
     * Kafka cluster's): the pipeline's folder no longer names it as its newest state, so that a
     * plain run of these settings starts afresh instead of failing the same way.
     */
    static void forgetRefusedRestore(RagstreamConfig config, Path refused) throws IOException {
        Path home = RagstreamCli.home();
        forgetRestore(
                checkpointFolder(
                        checkpointRoot(config, home),
                        PipelineIdentity.of(config),
                        flinkConfiguration(home).get(StateBackendOptions.STATE_BACKEND)),
                completedCheckpoint(refused));
    }

    /** Takes back the record that the pipeline in {@code checkpoints} started from {@code from}. */
    static void forgetRestore(Path checkpoints, Path from) throws IOException {
        Path restoredFrom = checkpoints.resolve(RESTORED_FROM);
        if (Files.isRegularFile(restoredFrom)
                && Path.of(Files.readString(restoredFrom).trim()).equals(from)) {
            Files.delete(restoredFrom);
        }
    }

    /**
     * {@code checkpoint.dir} when set (a path or a file: URI), else {@code .ragstream/checkpoints}
     * in the home.
     */
    static Path checkpointRoot(RagstreamConfig config, Path home) {
        String dir = config.get(RagstreamOptions.CHECKPOINT_DIR);
        if (dir == null) {
            return home.resolve(".ragstream/checkpoints");
        }
        return localFolder(RagstreamOptions.CHECKPOINT_DIR.key(), dir);
    }

    /**
     * A pipeline's checkpoints: a checkpoint restores only into the kind of state backend that took
     * it (RocksDB's are not hashmap's), so one folder per kind, and a change of config.yaml starts
     * afresh.
     */
    static Path checkpointFolder(Path root, PipelineIdentity identity, String stateBackend) {
        return root.resolve(identity.id()).resolve(stateBackend);
    }

    /** A local folder from a path (relative to the working directory) or a file: URI. */
    static Path localFolder(String key, String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new ConfigException(key, "is empty; give a path or a file: URI");
        }
        if (v.startsWith("file:")) {
            try {
                return Path.of(URI.create(v)).toAbsolutePath().normalize();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        key,
                        "'"
                                + v
                                + "' is not a file: URI of a folder, e.g. file:///var/ragstream/checkpoints ("
                                + e.getMessage()
                                + ")");
            }
        }
        // a Windows drive letter is not a scheme, but s3:, hdfs: and the like are
        if (URI_SCHEME.matcher(v).matches() && !v.matches("[a-zA-Z]:[\\\\/].*")) {
            throw new ConfigException(
                    key,
                    "'"
                            + v
                            + "': a local run keeps checkpoints on this machine; give a path or a "
                            + "file: URI (a cluster takes its execution.checkpointing.dir from its config.yaml)");
        }
        return Path.of(v).toAbsolutePath().normalize();
    }

    /**
     * The folder of a completed checkpoint or savepoint given by the user, or an error saying why
     * not.
     */
    static Path completedCheckpoint(Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        if (dir.getFileName() != null
                && dir.getFileName().toString().equals("_metadata")
                && Files.isRegularFile(dir)) {
            dir = dir.getParent();
        }
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("--from-checkpoint", dir + " is not a folder");
        }
        if (!Files.isRegularFile(dir.resolve("_metadata"))) {
            throw new ConfigException(
                    "--from-checkpoint",
                    dir
                            + " has no _metadata: give a completed checkpoint "
                            + "(a chk-N folder) or a savepoint folder");
        }
        return dir;
    }

    /**
     * The newest completed checkpoint or savepoint of a pipeline: a chk-N folder, a savepoint in
     * its savepoints folder, or what its last --from-checkpoint run started from, with its
     * _metadata written (Flink writes it last, so a half-written one has none).
     */
    static Optional<Path> latestCheckpoint(Path checkpoints) throws IOException {
        if (!Files.isDirectory(checkpoints)) {
            return Optional.empty();
        }
        List<Path> candidates = new ArrayList<>();
        // <job id>/chk-N/_metadata and savepoints/savepoint-<id>/_metadata
        try (Stream<Path> files =
                Files.find(
                        checkpoints,
                        3,
                        (p, attrs) ->
                                p.getFileName().toString().equals("_metadata")
                                        && (p.getParent()
                                                        .getFileName()
                                                        .toString()
                                                        .startsWith("chk-")
                                                || p.getParent()
                                                        .getFileName()
                                                        .toString()
                                                        .startsWith("savepoint-")))) {
            files.forEach(candidates::add);
        }
        Path restoredFrom = checkpoints.resolve(RESTORED_FROM);
        if (Files.isRegularFile(restoredFrom)) {
            Path metadata = Path.of(Files.readString(restoredFrom).trim()).resolve("_metadata");
            if (Files.isRegularFile(metadata)) {
                candidates.add(metadata);
            }
        }
        return candidates.stream()
                .max(Comparator.comparingLong(LocalFlink::modified))
                .map(Path::getParent);
    }

    /** A checkpoint in the single folder that versions before per-pipeline folders used. */
    private static Optional<Path> legacyCheckpoint(Path root, String stateBackend) {
        try {
            return latestCheckpoint(root.resolve(stateBackend));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** So that an operator can tell the pipelines' folders apart; never holds a secret. */
    private static void writeIdentityFile(Path folder, PipelineIdentity identity, String group)
            throws IOException {
        Files.writeString(
                folder.resolve(IDENTITY_FILE),
                "# the checkpoints in this folder belong to ragstream pipeline "
                        + identity.id()
                        + "\n"
                        + identity.canonical()
                        + "consumer-group="
                        + group
                        + "\n"
                        + "last-started="
                        + Instant.now()
                        + "\n");
    }

    /**
     * What a run without a checkpoint reads: a new group starts at the earliest offset, an old one
     * where it was.
     */
    private static String afreshMessage(
            RagstreamConfig config, PipelineIdentity identity, String group) {
        Optional<Boolean> committed = hasCommittedOffsets(config, group, identity.topics());
        String topics = String.join(", ", identity.topics());
        if (committed.isEmpty()) {
            return "pipeline "
                    + identity.id()
                    + " has no checkpoint: reading "
                    + topics
                    + " into "
                    + identity.chunksTable()
                    + " with consumer group "
                    + group
                    + ", from its committed offsets, else the earliest (Kafka did not "
                    + "say which)";
        }
        if (committed.get()) {
            return "pipeline "
                    + identity.id()
                    + " has no checkpoint: reading "
                    + topics
                    + " into "
                    + identity.chunksTable()
                    + " from consumer group "
                    + group
                    + "'s committed offsets, without the pipeline's state";
        }
        return "new pipeline "
                + identity.id()
                + ": reading "
                + topics
                + " from the earliest offset into "
                + identity.chunksTable()
                + " (consumer group "
                + group
                + ")";
    }

    /**
     * Whether the group has committed offsets on any of the topics; empty when Kafka does not
     * answer soon.
     */
    private static Optional<Boolean> hasCommittedOffsets(
            RagstreamConfig config, String group, List<String> topics) {
        try (Admin admin = Admin.create(adminProperties(config))) {
            return Optional.of(
                    admin
                            .listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata()
                            .get(5, TimeUnit.SECONDS)
                            .entrySet()
                            .stream()
                            .anyMatch(
                                    e ->
                                            e.getValue() != null
                                                    && topics.contains(e.getKey().topic())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /**
     * The admin client's properties: the user's {@code kafka.properties.*}, then short timeouts.
     */
    static Properties adminProperties(RagstreamConfig config) {
        Properties props = KafkaClientProperties.from(config).applyTo(new Properties());
        props.put(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        return props;
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
