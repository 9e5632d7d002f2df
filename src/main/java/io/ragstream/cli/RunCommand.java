package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.job.RagstreamJob;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", description = "Run the job on a local Flink with its web UI; resumes from the newest retained checkpoint.")
final class RunCommand implements Callable<Integer> {
    @Mixin
    ConfigMixin config;

    @Option(names = "--fresh", description = "Start without restoring the newest checkpoint.")
    boolean fresh;

    @Option(names = "--backfill", paramLabel = "FILE", arity = "1..*",
            description = "Instead of Kafka, index these JSONL / BEIR corpus.jsonl(.gz) files in batch mode, then stop.")
    List<Path> backfill;

    @Override
    public Integer call() throws Exception {
        if (backfill != null) {
            RagstreamConfig settings = config.load();
            long start = System.nanoTime();
            LocalFlink.startBackfill(settings, backfill).getJobExecutionResult().get();
            long loaded = System.nanoTime();
            RagstreamJob.finishBackfill(settings);
            System.out.printf("backfill of %s done in %.1f s (%.1f s of it building the HNSW index)%n", backfill,
                    (System.nanoTime() - start) / 1e9, (System.nanoTime() - loaded) / 1e9);
            return 0;
        }
        JobClient job = LocalFlink.start(config.load(), !fresh);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> job.cancel().join()));
        job.getJobExecutionResult().get();
        return 0;
    }
}
