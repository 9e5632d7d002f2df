package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link EndpointHealth} on a clock of its own: probes, recovery, and how often it is logged. */
class EndpointHealthTest {
    private static final long PROBE = 30_000;
    private static final EmbeddingPool.Backoff OPEN = new EmbeddingPool.Backoff(1_000, 30_000);

    private static Misconfiguration problem() {
        return new Misconfiguration(
                "http://gpu-1:11434",
                "embedding.endpoints[0].url",
                new EmbeddingFailure(
                        EmbeddingFailure.Kind.MISCONFIGURED, 401, "HTTP 401: unauthorized", null));
    }

    @Test
    void aMisconfiguredEndpointTakesOneProbeEveryIntervalAndOnlyItsAnswerBringsItBack() {
        EndpointHealth health = new EndpointHealth();
        health.misconfigured(1_000, false, problem(), PROBE);
        assertThat(health.healthy()).isFalse();
        assertThat(health.mayProbe(1_000 + PROBE - 1)).isFalse();
        assertThat(health.mayProbe(1_000 + PROBE)).isTrue();

        assertThat(health.answered(false)).as("a request sent before it was seen wrong").isFalse();
        assertThat(health.misconfiguration()).isNotNull();

        health.probing();
        assertThat(health.mayProbe(1_000 + PROBE)).as("one probe at a time").isFalse();
        assertThat(health.failedTransiently(1_000 + PROBE, true, OPEN, PROBE))
                .as("no circuit while misconfigured")
                .isZero();
        assertThat(health.misconfiguration()).isNotNull();
        assertThat(health.nextChance()).isEqualTo(1_000 + 2 * PROBE);

        health.probing();
        assertThat(health.answered(true)).isTrue();
        assertThat(health.healthy()).isTrue();
        assertThat(health.misconfiguration()).isNull();
    }

    @Test
    void itIsLoggedAtMostOnceAMinute() {
        EndpointHealth health = new EndpointHealth();
        assertThat(health.misconfigured(0, false, problem(), PROBE)).isTrue();
        assertThat(health.misconfigured(30_000, true, problem(), PROBE)).isFalse();
        assertThat(health.misconfigured(59_999, true, problem(), PROBE)).isFalse();
        assertThat(health.misconfigured(60_000, true, problem(), PROBE)).isTrue();
        health.answered(true);
        assertThat(health.misconfigured(61_000, false, problem(), PROBE))
                .as("even when it flaps")
                .isFalse();
    }

    @Test
    void transientFailuresOpenTheCircuitAfterThreeInARow() {
        EndpointHealth health = new EndpointHealth();
        assertThat(health.failedTransiently(0, false, OPEN, PROBE)).isZero();
        assertThat(health.failedTransiently(0, false, OPEN, PROBE)).isZero();
        assertThat(health.failedTransiently(0, false, OPEN, PROBE)).isPositive();
        assertThat(health.healthy()).isFalse();
        assertThat(health.misconfiguration()).isNull();
    }
}
