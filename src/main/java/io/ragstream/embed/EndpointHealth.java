package io.ragstream.embed;

/**
 * Whether a pool endpoint may take work. Healthy; or backed off after transient failures (its
 * circuit is open, then half-open: one probe request decides); or misconfigured (a key, path, model
 * or dimension that is wrong), which waiting does not cure, so it takes no work but one probe
 * request every {@code probeEveryMillis}, until a probe gets a proper answer. Not thread-safe: the
 * pool's lock guards it.
 */
final class EndpointHealth {
    /** Consecutive transient failures that open the circuit. */
    static final int FAILURES_TO_OPEN = 3;

    /** However long it stays misconfigured, it is logged at most this often. */
    static final long WARN_EVERY_MILLIS = 60_000;

    private int failures; // consecutive transient failures
    private int opened; // consecutive times the circuit opened: the pause grows with it
    private long openUntil; // 0: circuit closed; else backed off until then, then half-open
    private Misconfiguration misconfiguration; // null: none seen since the last proper answer
    private long nextProbe; // while misconfigured
    private boolean probing;
    private long lastWarned = -WARN_EVERY_MILLIS;

    /** Takes work: its circuit is closed and it is not misconfigured. */
    boolean healthy() {
        return openUntil == 0 && misconfiguration == null;
    }

    Misconfiguration misconfiguration() {
        return misconfiguration;
    }

    /** Not healthy, but it may take one probe request now. */
    boolean mayProbe(long now) {
        return !healthy() && !probing && now >= nextChance();
    }

    /**
     * When it may take a probe next: the end of its back-off, or its next misconfiguration probe.
     */
    long nextChance() {
        return misconfiguration != null ? nextProbe : openUntil;
    }

    /** The request now sent to it is its probe. */
    void probing() {
        probing = true;
    }

    /**
     * A proper answer (vectors, or a rejection of the input). Returns whether that makes it healthy
     * again. While misconfigured, only the probe's answer counts: a request sent before the problem
     * was seen may still come back fine.
     */
    boolean answered(boolean probe) {
        if (misconfiguration != null && !probe) {
            return false;
        }
        boolean wasUnhealthy = !healthy();
        failures = 0;
        opened = 0;
        openUntil = 0;
        misconfiguration = null;
        probing = false;
        return wasUnhealthy;
    }

    /**
     * No answer, or one worth retrying. Returns the pause when that opens the circuit, else 0. A
     * misconfigured endpoint stays so: a failed probe only waits for the next.
     */
    long failedTransiently(
            long now, boolean probe, EmbeddingPool.Backoff openBackoff, long probeEveryMillis) {
        if (probe) {
            probing = false;
        }
        if (misconfiguration != null) {
            if (probe) {
                nextProbe = now + probeEveryMillis;
            }
            return 0;
        }
        failures++;
        if (probe || failures >= FAILURES_TO_OPEN) {
            opened++;
            long pause = Math.max(1, openBackoff.delay(opened));
            openUntil = now + pause;
            return pause;
        }
        return 0;
    }

    /**
     * An answer that says it is set up wrong. Returns whether to log it now (once a minute at
     * most).
     */
    boolean misconfigured(
            long now, boolean probe, Misconfiguration problem, long probeEveryMillis) {
        if (probe) {
            probing = false;
        }
        misconfiguration = problem;
        nextProbe = now + probeEveryMillis;
        if (now - lastWarned >= WARN_EVERY_MILLIS) {
            lastWarned = now;
            return true;
        }
        return false;
    }
}
