package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --config FILE} and {@code --set key=value}, shared by every command that needs settings.
 */
final class ConfigMixin {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
    Path file;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Override one setting (repeatable).")
    List<String> overrides = new ArrayList<>();

    RagstreamConfig load() {
        return RagstreamConfig.load(file, overrides, System.getenv());
    }
}
