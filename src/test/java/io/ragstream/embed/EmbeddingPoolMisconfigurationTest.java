package io.ragstream.embed;

import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.FailMode;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.embed.server.SyntheticEmbedder;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link EmbeddingPool} over real HTTP endpoints (the project's stand-in server) that are set up
 * wrong: a key refused, a model missing, vectors of another dimension. Their work goes to a healthy
 * endpoint, or waits; fixing one brings it back; with none healthy for the timeout the pool fails,
 * naming the endpoint and the setting to fix.
 */
@Timeout(120)
class EmbeddingPoolMisconfigurationTest {
    private static final long WAIT_SECONDS = 30;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** What is wrong with an endpoint, as the stand-in server plays it. */
    enum Problem {
        KEY_REFUSED(
                o -> o.withApiKey("the-key-the-job-does-not-send"),
                "HTTP 401",
                "embedding.api-key-env"),
        MODEL_MISSING(o -> o.withServedModelName("another-model"), "HTTP 404", "embedding.model"),
        WRONG_DIMENSION(
                o -> o.withFailures(FailMode.WRONG_DIMENSION, 1),
                "wrong dimension",
                "embedding.dimension");

        final UnaryOperator<EmbeddingServerOptions> setUp;
        final String answer;
        final String fix;

        Problem(UnaryOperator<EmbeddingServerOptions> setUp, String answer, String fix) {
            this.setUp = setUp;
            this.answer = answer;
            this.fix = fix;
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Problem.class)
    void aMisconfiguredEndpointsWorkGoesToTheHealthyOne(Problem problem) throws Exception {
        EmbeddingServer bad = server(problem.setUp);
        EmbeddingServer good = server(UnaryOperator.identity());
        EmbeddingPool pool = pool(Duration.ofMinutes(1), Duration.ofSeconds(30), bad, good);

        List<CompletableFuture<List<float[]>>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(
                    pool.embed(
                            List.of("text " + i + " a", "text " + i + " b", "text " + i + " c")));
        }
        for (int i = 0; i < answers.size(); i++) {
            List<float[]> vectors = answers.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(vectors.get(2)).isEqualTo(SyntheticEmbedder.vector("text " + i + " c"));
        }

        assertThat(bad.stats().snapshot().requests())
                .as("tried, then left alone")
                .isBetween(1L, 2L);
        assertThat(good.stats().snapshot().requests()).as("every batch, each once").isEqualTo(20);
        assertThat(pool.misconfiguredEndpoints()).isEqualTo(1);
        assertThat(pool.healthyEndpoints()).isEqualTo(1);
    }

    @Test
    void withEveryEndpointMisconfiguredThePoolFailsAfterTheTimeoutNamingEachAndWhatToFix() {
        EmbeddingServer refusing = server(Problem.KEY_REFUSED.setUp);
        EmbeddingServer shortVectors = server(Problem.WRONG_DIMENSION.setUp);
        EmbeddingPool pool =
                pool(Duration.ofSeconds(1), Duration.ofMillis(200), refusing, shortVectors);

        long start = System.nanoTime();
        Throwable thrown =
                catchThrowable(
                        () -> pool.embed(List.of("a", "b")).get(WAIT_SECONDS, TimeUnit.SECONDS));
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(thrown).isInstanceOf(ExecutionException.class);
        EmbeddingFailure failure = (EmbeddingFailure) thrown.getCause();
        assertThat(failure.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(failure)
                .hasMessageContainingAll(
                        "embedding.misconfigured-timeout",
                        refusing.url().toString(),
                        "embedding.endpoints[0].url",
                        "HTTP 401",
                        "embedding.api-key-env",
                        shortVectors.url().toString(),
                        "embedding.endpoints[1].url",
                        "wrong dimension",
                        "embedding.dimension");
        assertThat(waitedMillis).as("it waited for a fix first").isGreaterThanOrEqualTo(1_000);
        assertThat(refusing.stats().snapshot().requests())
                .as("probed again while waiting")
                .isGreaterThan(1);
        assertThat(pool.healthyEndpoints()).isZero();
        assertThat(pool.misconfiguredEndpoints()).isEqualTo(2);

        Throwable later =
                catchThrowable(() -> pool.embed(List.of("c")).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertThat(later.getCause())
                .as("and so does the next request")
                .isInstanceOf(EmbeddingFailure.class)
                .hasMessageContaining("embedding.endpoints[0].url");
    }

    @Test
    void aRequestThatAlwaysFindsAnEndpointToProbeStillFailsAfterTheTimeout() {
        EmbeddingServer a = server(Problem.MODEL_MISSING.setUp);
        EmbeddingServer b = server(Problem.MODEL_MISSING.setUp);
        EmbeddingServer c = server(Problem.MODEL_MISSING.setUp);
        EmbeddingPool pool = pool(Duration.ofMillis(500), Duration.ofMillis(1), a, b, c);

        long start = System.nanoTime();
        Throwable thrown =
                catchThrowable(
                        () -> pool.embed(List.of("bounces")).get(WAIT_SECONDS, TimeUnit.SECONDS));
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(thrown.getCause())
                .isInstanceOf(EmbeddingFailure.class)
                .hasMessageContainingAll(
                        "HTTP 404", "embedding.model", "embedding.endpoints[2].url");
        assertThat(waitedMillis)
                .as("at its first answer past the timeout, not when it happens to wait")
                .isLessThan(5_000);
    }

    @ParameterizedTest
    @EnumSource(Problem.class)
    void anEndpointFixedDuringTheWaitTakesTheWork(Problem problem) throws Exception {
        EmbeddingServer server = server(problem.setUp);
        EmbeddingPool pool = pool(Duration.ofSeconds(WAIT_SECONDS), Duration.ofMillis(200), server);

        CompletableFuture<List<float[]>> answer = pool.embed(List.of("waits for a fix"));
        Awaitility.await()
                .atMost(Duration.ofSeconds(WAIT_SECONDS))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> pool.misconfiguredEndpoints() == 1);
        assertThat(answer).as("it waits rather than fails").isNotDone();
        server.configure(
                o ->
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withPort(o.port()));

        assertThat(answer.get(WAIT_SECONDS, TimeUnit.SECONDS).get(0))
                .isEqualTo(SyntheticEmbedder.vector("waits for a fix"));
        assertThat(pool.misconfiguredEndpoints()).isZero();
        assertThat(pool.healthyEndpoints()).isEqualTo(1);
    }

    @Test
    void aTextTheEndpointRejectsIsTheCallersAndTheEndpointStaysHealthy() {
        EmbeddingServer server = server(o -> o.withPoisonMarker("POISON"));
        EmbeddingPool pool = pool(Duration.ofMinutes(1), Duration.ofSeconds(30), server);

        Throwable thrown =
                catchThrowable(
                        () ->
                                pool.embed(List.of("fine", "has POISON"))
                                        .get(WAIT_SECONDS, TimeUnit.SECONDS));

        assertThat(((EmbeddingFailure) thrown.getCause()).kind())
                .isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(pool.healthyEndpoints()).isEqualTo(1);
        assertThat(pool.misconfiguredEndpoints()).isZero();
    }

    private EmbeddingServer server(UnaryOperator<EmbeddingServerOptions> setUp) {
        try {
            EmbeddingServer server =
                    EmbeddingServer.start(
                            setUp.apply(
                                    EmbeddingServerOptions.defaults()
                                            .withModel(ModelKind.SYNTHETIC)));
            toClose.add(server);
            return server;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private EmbeddingPool pool(Duration timeout, Duration probeEvery, EmbeddingServer... servers) {
        List<EmbeddingPool.Member> members = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            OllamaBackend backend =
                    OllamaBackend.builder(servers[i].url().toString())
                            .model(SyntheticEmbedder.MODEL_NAME)
                            .dimension(SyntheticEmbedder.DIMENSION)
                            .build();
            members.add(new EmbeddingPool.Member(backend, 2, "embedding.endpoints[" + i + "].url"));
        }
        EmbeddingPool pool =
                new EmbeddingPool(
                        members,
                        new EmbeddingPool.Backoff(10, 100),
                        new EmbeddingPool.Backoff(100, 1_000),
                        new EmbeddingPool.Misconfigured(probeEvery, timeout),
                        PoolListener.NONE);
        toClose.add(pool);
        return pool;
    }
}
