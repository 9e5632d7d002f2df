package io.ragstream.sink;

import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * {@code sink.mode: idempotent}: batches committed as they fill and at every checkpoint, so nothing
 * acknowledged by a checkpoint is still only in memory. Replays after a failure are harmless
 * because every write is guarded by the document version.
 */
final class IdempotentPgVectorSink extends CommittingPgVectorSink {
    private static final long serialVersionUID = 1L;

    IdempotentPgVectorSink(PgVectorSinkOptions options, StatusTopic statusTopic) {
        super(options, statusTopic);
    }

    @Override
    public IdempotentWriter createWriter(WriterInitContext context) {
        return new IdempotentWriter(options, context.metricGroup());
    }
}
