package io.ragstream.job;

import java.time.Duration;

/**
 * How much chaos {@link ChaosIT} makes: the same code at two sizes. {@code short} (the default,
 * what CI runs) fits a few minutes per sink mode on two cores and still injects every kind of
 * failure; {@code long} ({@code -Dragstream.chaos.scale=long}, what {@code bin/ragstream bench
 * chaos} runs) is the run issue 13 asks for.
 *
 * @param operations records published (plain events and Debezium changes, tombstones included)
 * @param documents distinct documents they touch, a quarter of them by CDC
 * @param failures failures injected per sink mode, every {@link ChaosFailure} kind at least once
 * @param pace time between two records, so that the failures meet a busy stream
 * @param settle how long the tables may take to catch up once publishing is over
 */
record ChaosScale(
        String name, int operations, int documents, int failures, Duration pace, Duration settle) {
    static final ChaosScale SHORT =
            new ChaosScale(
                    "short",
                    2_500,
                    120,
                    ChaosFailure.minimumSchedule().size(),
                    Duration.ofMillis(30),
                    Duration.ofMinutes(3));
    static final ChaosScale LONG =
            new ChaosScale("long", 10_000, 500, 24, Duration.ofMillis(45), Duration.ofMinutes(10));

    /** {@code -Dragstream.chaos.scale=short|long}. */
    static ChaosScale fromSystemProperties() {
        String name = System.getProperty("ragstream.chaos.scale", SHORT.name());
        return switch (name) {
            case "short" -> SHORT;
            case "long" -> LONG;
            default ->
                    throw new IllegalArgumentException(
                            "ragstream.chaos.scale is '" + name + "': short or long");
        };
    }

    /**
     * {@code -Dragstream.chaos.seed=N} replays a run's operations and its draw of failures (not
     * their timing); without it every run draws its own.
     */
    static long seedFromSystemProperties() {
        String seed = System.getProperty("ragstream.chaos.seed", "");
        return seed.isBlank() ? System.nanoTime() : Long.parseLong(seed.trim());
    }
}
