package io.ragstream.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

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
}
