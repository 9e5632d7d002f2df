package io.ragstream.cli;

import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "run", description = "Run the job on a local Flink with its web UI; resumes from the newest retained checkpoint.")
final class RunCommand implements Callable<Integer> {
    @Mixin
    ConfigMixin config;

    @Option(names = "--fresh", description = "Start without restoring the newest checkpoint.")
    boolean fresh;

    @Override
    public Integer call() throws Exception {
        JobClient job = LocalFlink.start(config.load(), !fresh);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> job.cancel().join()));
        job.getJobExecutionResult().get();
        return 0;
    }
}
