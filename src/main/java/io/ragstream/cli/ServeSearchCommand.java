package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.job.RagstreamJob;
import io.ragstream.search.CachedQueryEmbedder;
import io.ragstream.search.SearchException;
import io.ragstream.search.SearchOptions;
import io.ragstream.search.SearchService;
import io.ragstream.search.Searcher;
import io.ragstream.search.TenantTokens;
import io.ragstream.search.TokensFile;
import io.ragstream.sink.PgVectorSinkOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

@Command(
        name = "serve-search",
        mixinStandardHelpOptions = true,
        description =
                "Answer searches over HTTP/JSON: POST /search {\"tenant\": ..., \"queries\": [...], "
                        + "\"k\": 10, \"mode\": \"hybrid\"}; the answer is search --json's.")
final class ServeSearchCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Spec CommandSpec spec;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description =
                    "Address to listen on (0.0.0.0: every interface). Without --tokens the "
                            + "service answers for any tenant a request names: expose it only behind "
                            + "something that authenticates.")
    String host;

    @Option(names = "--port", defaultValue = "8090", description = "Port (0: a free one).")
    int port;

    @Option(
            names = "--tokens",
            paramLabel = "FILE",
            description =
                    "Searches need a bearer token (Authorization: Bearer TOKEN), and a token opens "
                            + "only its tenants: a line 'TENANT SHA256-HEX' per token and tenant (* for "
                            + "every tenant), the hash as printf %%s \"$TOKEN\" | sha256sum prints it. "
                            + "Read again within a second of a change; a change that cannot be used "
                            + "keeps the tokens before it.")
    Path tokensFile;

    /** How often serve-search looks whether the tokens file changed. */
    static final Duration TOKENS_CHECK_EVERY = Duration.ofSeconds(1);

    @Option(
            names = "--threads",
            description =
                    "Searches answered at once; the others wait their turn (default: twice the cores).")
    Integer threads;

    @Option(
            names = "--cache-entries",
            defaultValue = "10000",
            description = "Query embeddings kept (least recently used go first).")
    int cacheEntries;

    @Option(
            names = "--max-k",
            defaultValue = "100",
            description = "The largest k a request may ask.")
    int maxK;

    @Option(
            names = "--max-queries",
            defaultValue = "32",
            description = "The most queries one request may send (each is embedded and searched).")
    int maxQueries;

    @Option(
            names = "--max-waiting",
            defaultValue = "256",
            description =
                    "The most searches of one tenant that may wait for a turn; more are answered"
                            + " 503 at once (the tenants take turns, so one tenant's burst waits"
                            + " behind itself).")
    int maxWaiting;

    @Override
    public Integer call() throws Exception {
        int threads = this.threads == null ? SearchService.defaultThreads() : this.threads;
        if (threads < 1) {
            throw new ParameterException(
                    spec.commandLine(), "--threads must be at least 1, was " + threads);
        }
        if (maxK < 1 || maxQueries < 1 || maxWaiting < 1) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--max-k, --max-queries and --max-waiting must be at least 1, were "
                            + maxK
                            + ", "
                            + maxQueries
                            + " and "
                            + maxWaiting);
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ParameterException(
                    spec.commandLine(), "--host " + host + " is not an address of this machine");
        }
        Supplier<TenantTokens> tokens = () -> TenantTokens.OPEN;
        if (tokensFile != null) {
            try {
                tokens = TokensFile.read(tokensFile, TOKENS_CHECK_EVERY);
            } catch (IOException | IllegalArgumentException e) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--tokens: "
                                + (e instanceof IOException
                                        ? "cannot read " + tokensFile + ": " + e
                                        : e.getMessage()));
            }
        }
        RagstreamConfig cfg = config.load();
        EmbeddingOptions embedding = EmbeddingOptions.from(cfg);
        SearchMode mode = cfg.get(RagstreamOptions.SEARCH_MODE);
        // queries of another model than the index's find nothing that belongs to them
        RagstreamJob.checkServedModel(cfg, embedding);
        CachedQueryEmbedder model = new CachedQueryEmbedder(embedding.open(), cacheEntries);
        Searcher searcher =
                new Searcher(
                        PgVectorSinkOptions.from(cfg, embedding.dimension()),
                        SearchOptions.from(cfg),
                        model);
        try {
            searcher.checkTable();
        } catch (RuntimeException e) {
            if (!(e instanceof SearchException s
                    && s.fault() == SearchException.Fault.UNAVAILABLE)) {
                // the wrong table (another dimension, another quantization): fix it first
                searcher.close();
                model.close();
                throw e;
            }
            // the database or the table may come later (the job makes the table)
            System.err.println(
                    "ragstream: serving anyway, answering 503 until this changes: "
                            + e.getMessage());
        }
        SearchService service =
                new SearchService(
                        searcher,
                        address,
                        threads,
                        mode,
                        new SearchService.Limits(maxK, maxQueries, maxWaiting),
                        tokens);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    service.close();
                                    searcher.close();
                                    model.close();
                                    stopped.countDown();
                                },
                                "serve-search-shutdown"));
        System.out.printf(
                "searching %s on http://%s:%d/search (default mode %s, %d threads, %s); "
                        + "Ctrl-C stops it%n",
                cfg.get(RagstreamOptions.POSTGRES_CHUNKS_TABLE),
                host,
                service.port(),
                mode,
                threads,
                tokensFile == null
                        ? "any client may search any tenant"
                        : tokens.get().size()
                                + (tokens.get().size() == 1 ? " token" : " tokens")
                                + " from "
                                + tokensFile
                                + ", read again when it changes");
        stopped.await();
        return 0;
    }
}
