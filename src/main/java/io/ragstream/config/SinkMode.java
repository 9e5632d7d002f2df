package io.ragstream.config;

import java.util.Locale;

/**
 * How the sink makes its writes survive failures ({@code sink.mode}). Written and read as {@code
 * idempotent} / {@code exactly-once}: Flink's enum options match {@link #toString()}.
 */
public enum SinkMode {
    /**
     * Batches committed as they fill and at every checkpoint; replays are made harmless by the
     * version guards.
     */
    IDEMPOTENT,
    /**
     * One transaction per checkpoint and subtask, prepared at the barrier and committed once the
     * checkpoint is complete: readers see exactly the effects of checkpointed input.
     */
    EXACTLY_ONCE;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
