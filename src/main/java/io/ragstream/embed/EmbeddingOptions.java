package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.EmbeddingBackendType;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How chunks are embedded: which backend and model, the pool of endpoints and their concurrency,
 * batch size, linger and the cache.
 *
 * @param maxInFlight requests the in-process model runs at once (its pool of one endpoint); they
 *     share the machine's cores
 * @param misconfiguredTimeout how long embedding waits while no endpoint is healthy and some are
 *     misconfigured, before the job fails naming them
 */
public record EmbeddingOptions(
        EmbeddingBackendType backend,
        String model,
        int batchSize,
        Duration linger,
        int maxInFlight,
        Duration timeout,
        int parallelism,
        int cacheMaxEntries,
        Duration cacheTtl,
        List<Endpoint> endpoints,
        int dimension,
        Duration requestTimeout,
        String apiKeyEnv,
        Duration misconfiguredTimeout)
        implements Serializable {

    /**
     * One server of the pool and how many requests it takes at once (Ollama: OLLAMA_NUM_PARALLEL).
     */
    public record Endpoint(String url, int maxConcurrency) implements Serializable {}

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingOptions.class);

    static final EmbeddingPool.Backoff RETRY_BACKOFF = new EmbeddingPool.Backoff(100, 10_000);
    static final EmbeddingPool.Backoff OPEN_BACKOFF = new EmbeddingPool.Backoff(1_000, 30_000);

    /**
     * How often a misconfigured endpoint is probed, at most: a few times within the timeout, so a
     * fix is seen.
     */
    static final Duration MISCONFIGURED_PROBE = Duration.ofSeconds(30);

    public static EmbeddingOptions from(RagstreamConfig config) {
        EmbeddingBackendType backend = config.get(RagstreamOptions.EMBEDDING_BACKEND);
        String model = config.get(RagstreamOptions.EMBEDDING_MODEL);
        if (backend == EmbeddingBackendType.ONNX && InProcessModel.named(model).isEmpty()) {
            throw new ConfigException(
                    RagstreamOptions.EMBEDDING_MODEL.key(),
                    "the onnx backend runs " + InProcessModel.names() + ", not '" + model + "'");
        }
        int dimension = config.positive(RagstreamOptions.EMBEDDING_DIMENSION);
        if (backend == EmbeddingBackendType.ONNX
                && dimension != InProcessModel.named(model).orElseThrow().dimension()) {
            throw new ConfigException(
                    RagstreamOptions.EMBEDDING_DIMENSION.key(),
                    model
                            + " gives "
                            + InProcessModel.named(model).orElseThrow().dimension()
                            + " dimensions, not "
                            + dimension);
        }
        List<Endpoint> endpoints = endpoints(config);
        if (backend != EmbeddingBackendType.ONNX && endpoints.isEmpty()) {
            throw new ConfigException(
                    RagstreamOptions.EMBEDDING_ENDPOINTS.key(),
                    "the "
                            + backend
                            + " backend needs at least one endpoint: [{url: http://host:port, max-concurrency: 4}]");
        }
        EmbeddingOptions options =
                new EmbeddingOptions(
                        backend,
                        model,
                        config.positive(RagstreamOptions.EMBEDDING_BATCH_SIZE),
                        config.get(RagstreamOptions.EMBEDDING_LINGER),
                        config.get(RagstreamOptions.EMBEDDING_MAX_IN_FLIGHT) == null
                                ? Runtime.getRuntime().availableProcessors()
                                : config.positive(RagstreamOptions.EMBEDDING_MAX_IN_FLIGHT),
                        config.atLeast(RagstreamOptions.EMBEDDING_TIMEOUT, Duration.ofMillis(1)),
                        config.positive(RagstreamOptions.EMBEDDING_PARALLELISM),
                        config.get(RagstreamOptions.EMBEDDING_CACHE_MAX_ENTRIES),
                        config.get(RagstreamOptions.EMBEDDING_CACHE_TTL),
                        endpoints,
                        dimension,
                        config.atLeast(
                                RagstreamOptions.EMBEDDING_REQUEST_TIMEOUT, Duration.ofMillis(1)),
                        config.get(RagstreamOptions.EMBEDDING_API_KEY_ENV),
                        config.atLeast(
                                RagstreamOptions.EMBEDDING_MISCONFIGURED_TIMEOUT,
                                Duration.ofMillis(1)));
        if (options.parallelism() > options.mostSubtasks()) {
            // a subtask without a share of any endpoint could embed nothing: it would fail at
            // every start
            throw new ConfigException(
                    RagstreamOptions.EMBEDDING_PARALLELISM.key(),
                    options.parallelism()
                            + " subtasks, but the endpoints take "
                            + options.poolConcurrency()
                            + " requests at once (the sum of their max-concurrency), and each subtask"
                            + " needs one: set it to at most "
                            + options.poolConcurrency()
                            + ", or raise max-concurrency");
        }
        return options;
    }

    /** Misconfigured endpoints are probed every 30 s, or more often when the timeout is short. */
    EmbeddingPool.Misconfigured misconfigured() {
        long probeMillis =
                Math.max(
                        1,
                        Math.min(
                                MISCONFIGURED_PROBE.toMillis(),
                                misconfiguredTimeout.toMillis() / 4));
        return new EmbeddingPool.Misconfigured(
                Duration.ofMillis(probeMillis), misconfiguredTimeout);
    }

    private static List<Endpoint> endpoints(RagstreamConfig config) {
        String key = RagstreamOptions.EMBEDDING_ENDPOINTS.key();
        List<Endpoint> endpoints = new ArrayList<>();
        for (Map<String, String> entry : config.get(RagstreamOptions.EMBEDDING_ENDPOINTS)) {
            String url = entry.get("url");
            if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
                throw new ConfigException(
                        key,
                        "every endpoint needs an http(s) url, got "
                                + Secrets.redactUrl(String.valueOf(url)));
            }
            int concurrency;
            try {
                concurrency = Integer.parseInt(entry.getOrDefault("max-concurrency", "1").trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(
                        key,
                        "max-concurrency of "
                                + Secrets.redactUrl(url)
                                + " is not a number: "
                                + entry.get("max-concurrency"));
            }
            if (concurrency <= 0) {
                throw new ConfigException(
                        key,
                        "max-concurrency of "
                                + Secrets.redactUrl(url)
                                + " must be > 0, was "
                                + concurrency);
            }
            Endpoint endpoint = new Endpoint(url.replaceAll("/+$", ""), concurrency);
            if (endpoints.stream().anyMatch(e -> e.url().equals(endpoint.url()))) {
                // two entries would each take its max-concurrency: the server would get both
                throw new ConfigException(
                        key,
                        Secrets.redactUrl(endpoint.url())
                                + " is listed twice: give it one entry, whose max-concurrency is"
                                + " what the server takes at once");
            }
            endpoints.add(endpoint);
        }
        return List.copyOf(endpoints);
    }

    /**
     * The in-process model as this machine runs it: the {@code maxInFlight} batches at once share
     * its cores between them, so they never ask ONNX Runtime for more threads than there are. With
     * the onnx backend it is the configured model; with a server's, all-MiniLM-L6-v2, whose
     * tokenizer measures the chunks.
     */
    public OnnxModelOptions inProcessModel() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / maxInFlight);
        return OnnxModelOptions.builder()
                .model(inProcessModelKind())
                .intraOpThreads(threads)
                .build();
    }

    private InProcessModel inProcessModelKind() {
        return backend == EmbeddingBackendType.ONNX
                ? InProcessModel.named(model).orElseThrow()
                : InProcessModel.ALL_MINILM_L6_V2;
    }

    /** Requests the whole pool takes at once. */
    public int poolConcurrency() {
        return backend == EmbeddingBackendType.ONNX
                ? maxInFlight
                : endpoints.stream().mapToInt(Endpoint::maxConcurrency).sum();
    }

    /**
     * The most embedding subtasks this pool serves: a pool of servers gives each subtask one of its
     * request slots at least; the in-process model, a thread of its own.
     */
    public int mostSubtasks() {
        return backend == EmbeddingBackendType.ONNX ? Integer.MAX_VALUE : poolConcurrency();
    }

    /** Batches in flight per async subtask: the pool's concurrency spread over the subtasks. */
    public int asyncCapacity() {
        return Math.max(1, (poolConcurrency() + parallelism - 1) / parallelism);
    }

    /**
     * This subtask's share of an endpoint's concurrency. The pool's request slots, endpoint after
     * endpoint ({@code offset}: the slots of the endpoints before this one), are dealt to the
     * subtasks in turn: the shares of an endpoint add up to its concurrency, so it is never sent
     * more than it takes, whatever runs where; and every subtask gets a slot when the pool has at
     * least as many as there are subtasks.
     */
    static int share(int offset, int concurrency, int subtask, int parallelism) {
        return dealt(offset + concurrency, subtask, parallelism)
                - dealt(offset, subtask, parallelism);
    }

    /** Of the slots {@code [0, slots)} dealt in turn, how many went to the subtask. */
    private static int dealt(int slots, int subtask, int parallelism) {
        return slots / parallelism + (subtask < slots % parallelism ? 1 : 0);
    }

    /** The pool one embedding subtask uses: its share of every endpoint's concurrency. */
    public EmbeddingPool openPool(int subtask, int parallelism, PoolListener listener) {
        List<EmbeddingPool.Member> members = new ArrayList<>();
        if (backend == EmbeddingBackendType.ONNX) {
            int threads = Math.max(1, share(0, maxInFlight, subtask, parallelism));
            members.add(
                    new EmbeddingPool.Member(
                            new InProcessBackend(
                                    OnnxMiniLmEmbedder.shared(inProcessModel()), threads),
                            threads));
        } else {
            int offset = 0;
            for (int i = 0; i < endpoints.size(); i++) {
                Endpoint endpoint = endpoints.get(i);
                int share = share(offset, endpoint.maxConcurrency(), subtask, parallelism);
                offset += endpoint.maxConcurrency();
                if (share > 0) { // more subtasks than the endpoint takes requests: others use it
                    members.add(member(i, share));
                }
            }
            if (members.isEmpty()) {
                // more subtasks than the pool has slots, set outside the job (an autoscaler's
                // override; from() refuses it in the config): one request at a time beyond an
                // endpoint's max-concurrency, which it queues, rather than a task that can never
                // start
                int endpoint = subtask % endpoints.size();
                LOG.warn(
                        "embedding subtask {} of {}: the endpoints take {} requests at once, fewer"
                                + " than there are subtasks; it sends one at a time to {}, beyond"
                                + " its max-concurrency",
                        subtask,
                        parallelism,
                        offset,
                        memberName(endpoint));
                members.add(member(endpoint, 1));
            }
        }
        return new EmbeddingPool(members, RETRY_BACKOFF, OPEN_BACKOFF, misconfigured(), listener);
    }

    /**
     * A backend of each HTTP endpoint, by the setting naming it, in the order of {@code
     * embedding.endpoints}; none for the in-process model. The caller closes them.
     */
    public Map<String, EmbeddingBackend> endpointBackends() {
        Map<String, EmbeddingBackend> backends = new LinkedHashMap<>();
        if (backend != EmbeddingBackendType.ONNX) {
            for (int i = 0; i < endpoints.size(); i++) {
                backends.put(memberName(i), backend(endpoints.get(i).url()));
            }
        }
        return backends;
    }

    private EmbeddingPool.Member member(int endpoint, int share) {
        return new EmbeddingPool.Member(
                backend(endpoints.get(endpoint).url()), share, memberName(endpoint));
    }

    private static String memberName(int endpoint) {
        return RagstreamOptions.EMBEDDING_ENDPOINTS.key() + "[" + endpoint + "].url";
    }

    private EmbeddingBackend backend(String url) {
        return switch (backend) {
            case OLLAMA ->
                    OllamaBackend.builder(url)
                            .model(model)
                            .dimension(dimension)
                            .requestTimeout(requestTimeout)
                            .build();
            case OPENAI ->
                    OpenAiBackend.builder(url)
                            .model(model)
                            .dimension(dimension)
                            .apiKeyEnv(apiKeyEnv)
                            .requestTimeout(requestTimeout)
                            .build();
            case ONNX ->
                    throw new IllegalStateException(
                            "the onnx backend runs in-process, not over HTTP");
        };
    }

    /**
     * A blocking embedder for queries (not for documents): the in-process model (shared in a JVM)
     * behind its query prefix ({@link InProcessModel#queryPrefix()}, BGE's), or the whole pool.
     */
    public Embedder open() {
        return backend == EmbeddingBackendType.ONNX
                ? QueryPrefix.of(
                        OnnxMiniLmEmbedder.shared(inProcessModel()),
                        inProcessModelKind().queryPrefix())
                : new PoolEmbedder(openPool(0, 1, PoolListener.NONE), model, dimension);
    }
}
