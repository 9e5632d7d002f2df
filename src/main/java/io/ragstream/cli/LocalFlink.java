package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.job.RagstreamJob;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The job on a Flink mini cluster inside this JVM, with the web UI, configured by
 * {@code flink-conf/config.yaml}; checkpoints are retained under {@code .ragstream/checkpoints/<state backend>}
 * and a new run resumes from the newest one.
 */
final class LocalFlink {

    private LocalFlink() {}

    /** The streaming job; with {@code resume}, from the newest retained checkpoint. */
    static JobClient start(RagstreamConfig config, boolean resume) throws Exception {
        return start(resume, env -> RagstreamJob.buildFromConfig(env, config));
    }

    /** The same pipeline over files, bounded. */
    static JobClient startBackfill(RagstreamConfig config, List<Path> files) throws Exception {
        return start(false, env -> RagstreamJob.buildBackfill(env, config, files));
    }

    private interface JobBuilder {
        void build(StreamExecutionEnvironment env) throws Exception;
    }

    private static JobClient start(boolean resume, JobBuilder job) throws Exception {
        Path home = RagstreamCli.home();
        Configuration flink = GlobalConfiguration.loadConfiguration(home.resolve("flink-conf").toString());
        // a checkpoint restores only into the kind of state backend that took it (RocksDB's are
        // not hashmap's): one folder per kind, so a change of config.yaml starts afresh
        Path checkpoints = home.resolve(".ragstream/checkpoints").resolve(flink.get(StateBackendOptions.STATE_BACKEND));
        Files.createDirectories(checkpoints);
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        if (resume) {
            latestCheckpoint(checkpoints).ifPresent(chk -> {
                System.out.println("resuming from " + chk);
                flink.set(StateRecoveryOptions.SAVEPOINT_PATH, chk.toUri().toString());
            });
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        job.build(env);
        JobClient client = env.executeAsync("ragstream");
        System.out.println("job " + client.getJobID() + " running; web UI on http://localhost:" + flink.get(RestOptions.PORT));
        return client;
    }

    /** The newest completed checkpoint: a chk-N folder with its _metadata written. */
    static Optional<Path> latestCheckpoint(Path checkpoints) throws IOException {
        try (Stream<Path> files = Files.find(checkpoints, 3,
                (p, attrs) -> p.getFileName().toString().equals("_metadata")
                        && p.getParent().getFileName().toString().startsWith("chk-"))) {
            return files.max(Comparator.comparingLong(LocalFlink::modified)).map(Path::getParent);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
