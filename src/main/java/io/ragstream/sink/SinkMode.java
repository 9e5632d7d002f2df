package io.ragstream.sink;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

/** How the sink makes its writes survive failures (config {@code sink.mode}). */
public enum SinkMode {
    /** Batches committed as they fill and at every checkpoint; replays are made harmless by the version guards. */
    IDEMPOTENT,
    /**
     * One transaction per checkpoint and subtask, prepared at the barrier and committed once the
     * checkpoint is complete: readers see exactly the effects of checkpointed input.
     */
    EXACTLY_ONCE;

    static SinkMode from(RagstreamConfig config) {
        return config.choice(RagstreamOptions.SINK_MODE, "idempotent", "exactly-once").equals("idempotent")
                ? IDEMPOTENT : EXACTLY_ONCE;
    }
}
