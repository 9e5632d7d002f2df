package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.job.RagstreamJob;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The job on a Flink mini cluster inside this JVM, with the web UI, configured by
 * {@code flink-conf/config.yaml}; checkpoints are retained under {@code .ragstream/checkpoints}
 * and a new run resumes from the newest one.
 */
final class LocalFlink {

    private LocalFlink() {}

    static JobClient start(RagstreamConfig config, boolean resume) throws Exception {
        Path home = RagstreamCli.home();
        Configuration flink = GlobalConfiguration.loadConfiguration(home.resolve("flink-conf").toString());
        Path checkpoints = home.resolve(".ragstream/checkpoints");
        Files.createDirectories(checkpoints);
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        if (resume) {
            latestCheckpoint(checkpoints).ifPresent(chk -> {
                System.out.println("resuming from " + chk);
                flink.set(StateRecoveryOptions.SAVEPOINT_PATH, chk.toUri().toString());
            });
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream");
        System.out.println("job " + job.getJobID() + " running; web UI on http://localhost:" + flink.get(RestOptions.PORT));
        return job;
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
