package io.ragstream.cli;

import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.FailMode;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.embed.server.OptionsJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code serve-embeddings}: local embedding servers speaking Ollama's and OpenAI's APIs, standing
 * in for a pool of GPU servers (see {@link EmbeddingServer}); they run until Ctrl-C.
 */
@Command(
        name = "serve-embeddings",
        mixinStandardHelpOptions = true,
        description = {
            "Serve embeddings over HTTP like a pool of GPU servers: Ollama's POST /api/embed and "
                    + "OpenAI's POST /v1/embeddings on 127.0.0.1, with latency, a concurrency limit and "
                    + "injected failures; runs until Ctrl-C.",
            "Change settings while it runs: curl -d '{\"fail-mode\":\"503\",\"fail-every\":3}' "
                    + "http://127.0.0.1:PORT/admin/config; counters: curl http://127.0.0.1:PORT/admin/stats; "
                    + "'{\"fail-mode\":\"down\",\"down-for\":\"10s\"}' refuses connections for 10 s. "
                    + "With an API key the admin endpoints need it too: add -H 'Authorization: Bearer KEY'."
        })
public final class ServeEmbeddingsCommand implements Callable<Integer> {

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "11434",
            description =
                    "Port of the first server, the others on the next ones; 0 picks free ports (default: ${DEFAULT-VALUE}, Ollama's).")
    int port;

    @Option(
            names = "--count",
            paramLabel = "N",
            defaultValue = "1",
            description = "Servers to start, on consecutive ports (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(
            names = "--model",
            paramLabel = "MODEL",
            defaultValue = "all-MiniLM-L6-v2",
            converter = ModelConverter.class,
            description =
                    "all-MiniLM-L6-v2 (the real model, in process) or synthetic (a deterministic vector per text from its SHA-256, "
                            + "for benchmarks of the pool rather than the CPU) (default: ${DEFAULT-VALUE}).")
    ModelKind model;

    @Option(
            names = "--served-model-name",
            paramLabel = "NAME",
            description =
                    "The model name requests must carry (default: the model's), e.g. serve synthetic vectors as all-MiniLM-L6-v2.")
    String servedModelName;

    @Option(
            names = "--fixed-latency",
            paramLabel = "DURATION",
            defaultValue = "0ms",
            converter = DurationConverter.class,
            description =
                    "Latency of every request, like a GPU's per-call cost, e.g. 20ms (default: ${DEFAULT-VALUE}).")
    Duration fixedLatency;

    @Option(
            names = "--per-item-latency",
            paramLabel = "DURATION",
            defaultValue = "0ms",
            converter = DurationConverter.class,
            description = "Latency per text of a request, e.g. 1ms (default: ${DEFAULT-VALUE}).")
    Duration perItemLatency;

    @Option(
            names = "--max-concurrency",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "Requests in progress per server; one more is answered 503 at once, as Ollama past OLLAMA_NUM_PARALLEL "
                            + "and its queue; 0: no limit (default: ${DEFAULT-VALUE}).")
    int maxConcurrency;

    @Spec CommandSpec spec;

    @Option(
            names = "--api-key-env",
            paramLabel = "NAME",
            description =
                    "Require Authorization: Bearer KEY (else 401) on the embedding and admin endpoints, KEY being "
                            + "the value of environment variable NAME.")
    String apiKeyEnv;

    @Option(
            names = "--api-key-file",
            paramLabel = "PATH",
            description =
                    "The same, KEY being the content of file PATH (surrounding whitespace dropped).")
    Path apiKeyFile;

    @Option(
            names = "--max-request-bytes",
            paramLabel = "BYTES",
            defaultValue = "" + EmbeddingServerOptions.DEFAULT_MAX_REQUEST_BYTES,
            description =
                    "The largest request body accepted; a larger one is answered 413 without being read (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(
            names = "--fail-mode",
            paramLabel = "MODE",
            defaultValue = "none",
            converter = FailModeConverter.class,
            description =
                    "none, 500, 503, 429, timeout (never answer), wrong-dimension (short vectors) or down "
                            + "(connection refused) (default: ${DEFAULT-VALUE}).")
    FailMode failMode;

    @Option(
            names = "--fail-every",
            paramLabel = "N",
            defaultValue = "1",
            description = "Fail every N-th request with --fail-mode (default: ${DEFAULT-VALUE}).")
    int failEvery;

    @Option(
            names = "--poison-marker",
            paramLabel = "TEXT",
            description = "Answer 400 to requests with a text containing TEXT (a permanent error).")
    String poisonMarker;

    @Option(
            names = "--hang-for",
            paramLabel = "DURATION",
            defaultValue = "5min",
            converter = DurationConverter.class,
            description =
                    "How long fail-mode timeout holds a request before closing its connection (default: ${DEFAULT-VALUE}).")
    Duration hangFor;

    /** Refused: a key on the command line is visible to every user of the machine in {@code ps}. */
    @Option(names = "--api-key", paramLabel = "KEY", hidden = true)
    void refuseApiKeyOnCommandLine(String key) {
        throw new ParameterException(
                spec.commandLine(),
                "--api-key is not accepted: a key on the command line "
                        + "is visible to every user of the machine (ps). Use --api-key-env NAME or --api-key-file PATH.");
    }

    /**
     * The settings the flags give (the first server's port), the key read from the process's
     * environment.
     */
    public EmbeddingServerOptions options() {
        return options(System::getenv);
    }

    /**
     * The settings the flags give, {@code --api-key-env} looked up in {@code environment}.
     *
     * @throws ParameterException when the key's variable or file is missing, unreadable or empty,
     *     or both are given
     */
    public EmbeddingServerOptions options(Function<String, String> environment) {
        return new EmbeddingServerOptions(
                port,
                model,
                servedModelName,
                fixedLatency,
                perItemLatency,
                maxConcurrency,
                apiKey(environment),
                failMode,
                failEvery,
                poisonMarker,
                hangFor,
                maxRequestBytes);
    }

    private String apiKey(Function<String, String> environment) {
        if (apiKeyEnv != null && apiKeyFile != null) {
            throw new ParameterException(
                    spec.commandLine(), "give --api-key-env or --api-key-file, not both");
        }
        if (apiKeyEnv != null) {
            String key = environment.apply(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--api-key-env: the environment variable "
                                + apiKeyEnv
                                + " is not set or empty");
            }
            return key.strip();
        }
        if (apiKeyFile != null) {
            String key;
            try {
                key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--api-key-file: cannot read " + apiKeyFile + ": " + e.getMessage(),
                        e);
            }
            if (key.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(), "--api-key-file: " + apiKeyFile + " is empty");
            }
            return key;
        }
        return null;
    }

    /** How many servers to start. */
    public int count() {
        return count;
    }

    @Override
    public Integer call() throws Exception {
        EmbeddingServerOptions options = options();
        EmbeddingServerGroup group = EmbeddingServerGroup.start(count, options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    group.close();
                                    stopped.countDown();
                                },
                                "serve-embeddings-shutdown"));

        EmbeddingServerOptions first = group.get(0).options();
        System.out.printf(
                "serving %s%s on %d server%s, latency %s + %s per text, max-concurrency %s%s%s:%n",
                first.model(),
                first.servedModelName() != null ? " as " + first.servedModelName() : "",
                count,
                count == 1 ? "" : "s",
                OptionsJson.format(fixedLatency),
                OptionsJson.format(perItemLatency),
                maxConcurrency == 0 ? "unlimited" : maxConcurrency,
                first.apiKey() != null ? ", API key required" : "",
                failMode != FailMode.NONE
                        ? ", fail-mode " + failMode + (failEvery > 1 ? " every " + failEvery : "")
                        : "");
        for (URI url : group.urls()) {
            System.out.println("  " + url);
        }
        System.out.println(
                "the pool: "
                        + group.urls().stream()
                                .map(URI::toString)
                                .collect(Collectors.joining(",")));
        System.out.println(
                "APIs: Ollama POST /api/embed, OpenAI POST /v1/embeddings; "
                        + "admin: GET /admin/stats, GET|POST /admin/config. Ctrl-C stops them.");
        stopped.await();
        return 0;
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return OptionsJson.parseDuration(value);
        }
    }

    static final class ModelConverter implements ITypeConverter<ModelKind> {
        @Override
        public ModelKind convert(String value) {
            return ModelKind.parse(value);
        }
    }

    static final class FailModeConverter implements ITypeConverter<FailMode> {
        @Override
        public FailMode convert(String value) {
            return FailMode.parse(value);
        }
    }
}
