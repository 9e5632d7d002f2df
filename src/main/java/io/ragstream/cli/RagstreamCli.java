package io.ragstream.cli;

import io.ragstream.cluster.ClusterException;
import io.ragstream.config.ConfigException;
import io.ragstream.search.SearchException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;

/** The Java side of {@code bin/ragstream}: the commands that run on the JVM. */
@Command(
        name = "ragstream",
        mixinStandardHelpOptions = true,
        version = "ragstream 0.1.0",
        description = "Keeps a pgvector index in step with documents published to Kafka.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            ProduceCommand.class,
            SearchCommand.class,
            BenchCommand.class,
            ServeEmbeddingsCommand.class,
            ServeSearchCommand.class,
            ClusterCommand.class,
            CommandLine.HelpCommand.class
        })
public final class RagstreamCli {

    /** The project folder: flink-conf/ and .ragstream/ live there (bin/ragstream sets it). */
    static Path home() {
        return Path.of(System.getProperty("ragstream.home", ".")).toAbsolutePath().normalize();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new RagstreamCli());
        // a configuration error, a cluster's refusal or a search the index cannot answer is the
        // user's to fix: say what is wrong, without a stack trace (also where a local job failed
        // on one, deep in Flink's exceptions)
        cli.setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                        if (t instanceof ConfigException
                                || t instanceof ClusterException
                                || t instanceof SearchException) {
                            cmd.getErr().println("ragstream: " + t.getMessage());
                            return t instanceof SearchException ? 1 : 2;
                        }
                    }
                    throw e;
                });
        return cli;
    }
}
