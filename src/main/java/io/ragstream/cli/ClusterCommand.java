package io.ragstream.cli;

import io.ragstream.cluster.ClusterException;
import io.ragstream.cluster.FlinkRest;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code cluster submit|stop-job|metrics}: the job on a Flink session cluster, over its REST API.
 * {@code cluster start|stop|status} are bin/ragstream's own (bin/lib/cluster.sh).
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = {
            "The job on a Flink session cluster, over its REST API. bin/ragstream cluster start|stop|status "
                    + "runs the cluster itself (a JobManager and --taskmanagers N TaskManagers on 127.0.0.1, state in .ragstream/cluster)."
        },
        subcommands = {
            ClusterCommand.Submit.class,
            ClusterCommand.StopJob.class,
            ClusterCommand.Metrics.class
        })
final class ClusterCommand {

    @Option(
            names = "--rest",
            paramLabel = "URL",
            scope = ScopeType.INHERIT,
            defaultValue = "${env:RAGSTREAM_CLUSTER_URL}",
            description =
                    "The cluster's REST API (default: the one bin/ragstream cluster start runs, ${DEFAULT-VALUE}).")
    URI rest;

    FlinkRest flink() {
        if (rest == null) {
            throw new ClusterException(
                    "no cluster given: --rest http://jobmanager:8081 (bin/ragstream sets it for its own cluster)");
        }
        return new FlinkRest(rest);
    }

    /**
     * A local path as a file: URI (the cluster may not share our working directory); URIs as they
     * are.
     */
    static String location(String pathOrUri) {
        return pathOrUri.contains("://") || pathOrUri.startsWith("file:")
                ? pathOrUri
                : Path.of(pathOrUri).toAbsolutePath().normalize().toUri().toString();
    }

    @Command(
            name = "submit",
            mixinStandardHelpOptions = true,
            description =
                    "Upload the job jar and run it, with --config/--set passed on to the job.")
    static final class Submit implements Callable<Integer> {
        /** A job stopped a moment ago (a rescale) frees its slots a little after it finished. */
        private static final Duration FREE_SLOTS_WAIT = Duration.ofSeconds(15);

        @ParentCommand ClusterCommand cluster;

        @Spec CommandSpec spec;

        @Mixin ConfigMixin config;

        @Option(
                names = "--jar",
                paramLabel = "JAR",
                description = "The job jar (default: the newest target/ragstream-*.jar).")
        Path jar;

        @Option(
                names = "--from-savepoint",
                paramLabel = "PATH",
                description = "Start from this savepoint (or retained checkpoint).")
        String savepoint;

        @Option(
                names = {"-p", "--parallelism"},
                paramLabel = "N",
                description =
                        "The job's parallelism, as flink run -p (default: the cluster's parallelism.default);"
                                + " job.parallelism and embedding.parallelism follow it unless set.")
        Integer parallelism;

        @Option(
                names = "--timeout",
                defaultValue = "PT3M",
                description =
                        "How long to wait for every task to run (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            if (parallelism != null && parallelism <= 0) {
                throw new ParameterException(
                        spec.commandLine(), "--parallelism must be at least 1, was " + parallelism);
            }
            // a wrong key fails here, naming it, before anything is uploaded
            RagstreamConfig settings = config.load();
            Secrets.refuseInProgramArguments(config.overrides);
            List<String> args = new ArrayList<>();
            if (config.file != null) {
                // main() runs on the JobManager: it reads the file there, so the path must be
                // absolute
                args.addAll(
                        List.of("--config", config.file.toAbsolutePath().normalize().toString()));
            }
            config.overrides.forEach(o -> args.addAll(List.of("--set", o)));

            FlinkRest flink = cluster.flink();
            Map<String, String> clusterSettings = flink.configuration();
            if (FlinkRest.jobsNeedTheirSlotsFree(clusterSettings)) {
                flink.awaitFreeSlots(slotsNeeded(settings, clusterSettings), FREE_SLOTS_WAIT);
            }
            String jobId =
                    flink.submit(
                            jar != null
                                    ? jar
                                    : FlinkRest.newestJobJar(RagstreamCli.home().resolve("target")),
                            args,
                            savepoint == null ? null : location(savepoint),
                            parallelism,
                            timeout);
            System.out.println(
                    "job "
                            + jobId
                            + " runs"
                            + (savepoint != null ? " from " + savepoint : "")
                            + "; web UI: "
                            + flink.base()
                            + "#/job/running/"
                            + jobId
                            + "/overview");
            return 0;
        }

        /**
         * One slot per subtask of the widest operator: job.parallelism if set, else -p, else the
         * cluster's parallelism.default (Flink's own default is 1); embedding.parallelism if set
         * wider.
         */
        private int slotsNeeded(RagstreamConfig settings, Map<String, String> clusterSettings) {
            int job =
                    settings.isSet(RagstreamOptions.PARALLELISM)
                            ? settings.positive(RagstreamOptions.PARALLELISM)
                            : parallelism != null
                                    ? parallelism
                                    : Integer.parseInt(
                                            clusterSettings.getOrDefault(
                                                    "parallelism.default", "1"));
            return settings.isSet(RagstreamOptions.EMBEDDING_PARALLELISM)
                    ? Math.max(job, settings.positive(RagstreamOptions.EMBEDDING_PARALLELISM))
                    : job;
        }
    }

    /** A subcommand that acts on one job: JOB_ID, or the only one running. */
    abstract static class JobCommand implements Callable<Integer> {
        @ParentCommand ClusterCommand cluster;

        @Parameters(
                arity = "0..1",
                paramLabel = "JOB_ID",
                description = "The job (default: the only one running).")
        String jobId;

        String job() throws IOException, InterruptedException {
            if (jobId != null) {
                return jobId;
            }
            List<String> jobs = cluster.flink().activeJobs();
            if (jobs.size() != 1) {
                throw new ClusterException(
                        (jobs.isEmpty()
                                        ? "no job runs on " + cluster.rest
                                        : "several jobs run on "
                                                + cluster.rest
                                                + " ("
                                                + String.join(", ", jobs)
                                                + ")")
                                + "; name one");
            }
            return jobs.get(0);
        }
    }

    @Command(
            name = "stop-job",
            mixinStandardHelpOptions = true,
            description =
                    "Stop the job with a savepoint (printed, to resume with submit --from-savepoint), or cancel it.")
    static final class StopJob extends JobCommand {
        @Option(
                names = "--savepoint",
                arity = "0..1",
                paramLabel = "DIR",
                fallbackValue = "",
                description =
                        "Take a savepoint into DIR (default: the cluster's execution.checkpointing.savepoint-dir) and stop.")
        String savepoint;

        @Option(
                names = "--timeout",
                defaultValue = "PT5M",
                description =
                        "How long the savepoint may take (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            FlinkRest flink = cluster.flink();
            String job = job();
            if (savepoint == null) {
                flink.cancel(job);
                System.out.println(
                        "job "
                                + job
                                + " cancelled (without a savepoint; its retained checkpoints stay)");
                return 0;
            }
            String location =
                    flink.stopWithSavepoint(
                            job, savepoint.isEmpty() ? null : location(savepoint), timeout);
            System.out.println("job " + job + " stopped with savepoint " + location);
            System.out.println(
                    "resume with: bin/ragstream cluster submit --from-savepoint "
                            + location
                            + " [--config ...]");
            return 0;
        }
    }

    @Command(
            name = "metrics",
            mixinStandardHelpOptions = true,
            description =
                    "The job's ragstream metrics per operator (summed over subtasks), as the REST API shows them.")
    static final class Metrics extends JobCommand {
        @Override
        public Integer call() throws Exception {
            Map<String, Double> metrics = cluster.flink().ragstreamMetrics(job());
            metrics.forEach(
                    (name, value) -> {
                        if (!name.matches(
                                ".*_(min|mean|stddev|p75|p90|p95|p98|p999)$")) { // histograms:
                            // median, p99, max
                            System.out.printf("%-70s %,.0f%n", name, value);
                        }
                    });
            return 0;
        }
    }
}
