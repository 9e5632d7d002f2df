package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * {@code sink.mode: idempotent}: batches committed as they fill and at every checkpoint, so
 * nothing acknowledged by a checkpoint is still only in memory. Replays after a failure are
 * harmless because every write is guarded by the document version.
 */
final class IdempotentPgVectorSink implements Sink<DocumentUpdate> {
    private static final long serialVersionUID = 1L;

    private final PgVectorSinkOptions options;

    IdempotentPgVectorSink(PgVectorSinkOptions options) {
        this.options = options;
    }

    @Override
    public SinkWriter<DocumentUpdate> createWriter(WriterInitContext context) {
        return new IdempotentWriter(options, context.metricGroup());
    }
}
