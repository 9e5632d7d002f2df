package io.ragstream.cli;

import io.ragstream.config.ConfigException;

import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.runtime.execution.SuppressRestartsException;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

class RagstreamCliTest {
    /** What a user types first: every command answers --help with its usage, running nothing. */
    @Test
    void everyCommandAnswersHelpWithItsUsage() {
        Map<String, CommandLine> commands = RagstreamCli.commandLine().getSubcommands();
        assertThat(commands).containsKeys("run", "search", "serve-search", "bench", "cluster");
        commands.keySet().stream()
                .filter(name -> !name.equals("help"))
                .forEach(
                        name -> {
                            StringWriter out = new StringWriter();
                            StringWriter err = new StringWriter();

                            int code =
                                    RagstreamCli.commandLine()
                                            .setOut(new PrintWriter(out, true))
                                            .setErr(new PrintWriter(err, true))
                                            .execute(name, "--help");

                            assertThat(code).as("%s --help: %s", name, err).isZero();
                            assertThat(out.toString())
                                    .as(name)
                                    .startsWith("Usage: ragstream " + name)
                                    .contains("-h, --help");
                        });
    }

    @Test
    void aClusterSubmitAtParallelismBelowOneIsAUsageErrorBeforeAnythingIsUploaded() {
        StringWriter err = new StringWriter();

        int code =
                RagstreamCli.commandLine()
                        .setErr(new PrintWriter(err, true))
                        .execute("cluster", "--rest", "http://127.0.0.1:1", "submit", "-p", "0");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--parallelism must be at least 1, was 0");
    }

    /**
     * A local job that failed on a configuration error (a savepoint of other tables) ends in
     * Flink's exceptions around it: the user gets its message, not a stack trace.
     */
    @Test
    void aConfigurationErrorDeepInAJobsFailureIsSaidWithoutAStackTrace() {
        StringWriter err = new StringWriter();
        CommandLine cli = RagstreamCli.commandLine();
        cli.addSubcommand(new FailedJob());
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("failed-job");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "ragstream: config key 'postgres.chunks-table': belongs to another index"
                                + System.lineSeparator());
    }

    @CommandLine.Command(name = "failed-job")
    static final class FailedJob implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            throw new ExecutionException(
                    new JobExecutionException(
                            new JobID(),
                            "Job execution failed.",
                            new SuppressRestartsException(
                                    new ConfigException(
                                            "postgres.chunks-table", "belongs to another index"))));
        }
    }
}
