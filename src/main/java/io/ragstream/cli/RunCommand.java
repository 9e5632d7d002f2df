package io.ragstream.cli;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RestoredSetting;
import io.ragstream.job.RagstreamJob;

import org.apache.flink.core.execution.JobClient;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description =
                "Run the job on a local Flink with its web UI. Checkpoints are kept per pipeline "
                        + "(its topics, database, tables, model and quantization) under checkpoint.dir (default .ragstream/checkpoints); "
                        + "a run resumes from its own pipeline's newest one, and a new pipeline reads its topics from the earliest offset.")
final class RunCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Option(
            names = "--fresh",
            description = "Start without restoring the pipeline's newest checkpoint.")
    boolean fresh;

    @Option(
            names = "--from-checkpoint",
            paramLabel = "PATH",
            description =
                    "Resume from this checkpoint (a chk-N folder) or savepoint folder, a path or file: URI.")
    String fromCheckpoint;

    @Option(
            names = "--backfill",
            paramLabel = "FILE",
            arity = "1..*",
            description =
                    "Instead of Kafka, index these JSONL / BEIR corpus.jsonl(.gz) files in batch mode, then stop.")
    List<Path> backfill;

    @Option(
            names = "--backfill-table",
            paramLabel = "TABLE",
            description =
                    "Instead of Kafka, index the rows of this PostgreSQL table (schema.table) in batch mode, "
                            + "read in parallel key ranges (backfill.* settings; the columns are cdc.*'s), then stop.")
    String backfillTable;

    @Override
    public Integer call() throws Exception {
        if (fresh && fromCheckpoint != null) {
            throw new ConfigException("--fresh", "cannot go with --from-checkpoint: choose one");
        }
        if (backfill != null && backfillTable != null) {
            throw new ConfigException(
                    "--backfill-table", "cannot go with --backfill: backfill one at a time");
        }
        if (backfill != null || backfillTable != null) {
            if (fromCheckpoint != null) {
                throw new ConfigException(
                        "--from-checkpoint", "a backfill restores no checkpoint: leave it out");
            }
            RagstreamConfig settings = config.load();
            long start = System.nanoTime();
            JobClient job =
                    backfill != null
                            ? LocalFlink.startBackfill(settings, backfill)
                            : LocalFlink.startTableBackfill(settings, backfillTable);
            job.getJobExecutionResult().get();
            long loaded = System.nanoTime();
            RagstreamJob.finishBackfill(settings);
            System.out.printf(
                    "backfill of %s done in %.1f s (%.1f s of it building the HNSW index)%n",
                    backfill != null ? backfill : "table " + backfillTable,
                    (System.nanoTime() - start) / 1e9,
                    (System.nanoTime() - loaded) / 1e9);
            return 0;
        }
        LocalFlink.Restore restore =
                fromCheckpoint != null
                        ? LocalFlink.Restore.from(
                                LocalFlink.localFolder("--from-checkpoint", fromCheckpoint))
                        : fresh ? LocalFlink.Restore.NONE : LocalFlink.Restore.NEWEST;
        RagstreamConfig settings = config.load();
        JobClient job = LocalFlink.start(settings, restore);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> cancelIfRunning(job)));
        try {
            job.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            if (restore.checkpoint() != null && RestoredSetting.refusedIn(e)) {
                LocalFlink.forgetRefusedRestore(settings, restore.checkpoint());
            }
            throw e;
        }
        return 0;
    }

    /**
     * On Ctrl-C or a kill; a job stopped with a savepoint has ended already, and its mini cluster
     * with it.
     */
    private static void cancelIfRunning(JobClient job) {
        try {
            if (!job.getJobStatus().get(5, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // the cluster is gone with the job: nothing left to cancel
        }
    }
}
