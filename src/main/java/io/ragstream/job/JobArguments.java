package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code --config FILE} and {@code --set key=value}, as {@code flink run} passes them to main. */
final class JobArguments {

    private JobArguments() {}

    static RagstreamConfig parse(String[] args) {
        Path config = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if ((arg.equals("--config") || arg.equals("--set")) && i + 1 >= args.length) {
                throw new ConfigException(arg, "needs a value");
            }
            switch (arg) {
                case "--config" -> config = Path.of(args[++i]);
                case "--set" -> overrides.add(args[++i]);
                default ->
                        throw new ConfigException(
                                arg, "unknown argument; use --config FILE and --set key=value");
            }
        }
        return RagstreamConfig.load(config, overrides, System.getenv());
    }
}
