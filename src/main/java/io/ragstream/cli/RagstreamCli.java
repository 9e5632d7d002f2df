package io.ragstream.cli;

import io.ragstream.cluster.ClusterException;
import io.ragstream.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;

/** The Java side of {@code bin/ragstream}: the commands that run on the JVM. */
@Command(name = "ragstream", mixinStandardHelpOptions = true, version = "ragstream 0.1.0",
        description = "Keeps a pgvector index in step with documents published to Kafka.",
        subcommands = {RunCommand.class, DemoCommand.class, ProduceCommand.class, SearchCommand.class, BenchCommand.class,
                ServeEmbeddingsCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class})
public final class RagstreamCli {

    /** The project folder: flink-conf/ and .ragstream/ live there (bin/ragstream sets it). */
    static Path home() {
        return Path.of(System.getProperty("ragstream.home", ".")).toAbsolutePath().normalize();
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new RagstreamCli());
        // a configuration error, or a cluster's refusal, is the user's to fix: say what is wrong, without a stack trace
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            for (Throwable t : new Throwable[] {e, e.getCause()}) {
                if (t instanceof ConfigException || t instanceof ClusterException) {
                    cmd.getErr().println("ragstream: " + t.getMessage());
                    return 2;
                }
            }
            throw e;
        });
        System.exit(cli.execute(args));
    }
}
