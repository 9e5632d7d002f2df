package io.ragstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ServeSearchCommandTest {
    @Test
    void threadsBelowOneIsAUsageErrorBeforeAnythingStarts() {
        StringWriter err = new StringWriter();

        int code =
                RagstreamCli.commandLine()
                        .setErr(new PrintWriter(err, true))
                        .execute("serve-search", "--threads", "0");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--threads must be at least 1, was 0");
    }

    @Test
    void limitsBelowOneAreAUsageErrorBeforeAnythingStarts() {
        for (String option : new String[] {"--max-k", "--max-queries", "--max-waiting"}) {
            StringWriter err = new StringWriter();

            int code =
                    RagstreamCli.commandLine()
                            .setErr(new PrintWriter(err, true))
                            .execute("serve-search", option, "0");

            assertThat(code).as(option).isEqualTo(2);
            assertThat(err.toString())
                    .contains("--max-k, --max-queries and --max-waiting must be at least 1");
        }
    }

    @Test
    void aTokensFileThatCannotBeUsedIsAUsageErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens.txt"), "acme not-a-hash\n");
        for (Path file : new Path[] {tokens, dir.resolve("missing.txt")}) {
            StringWriter err = new StringWriter();

            int code =
                    RagstreamCli.commandLine()
                            .setErr(new PrintWriter(err, true))
                            .execute("serve-search", "--tokens", file.toString());

            assertThat(code).as(file.toString()).isEqualTo(2);
            assertThat(err.toString())
                    .contains("--tokens: ")
                    .contains(file.equals(tokens) ? "line 1: expected" : "cannot read");
        }
    }
}
