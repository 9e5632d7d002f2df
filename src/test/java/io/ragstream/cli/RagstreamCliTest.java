package io.ragstream.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

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
}
