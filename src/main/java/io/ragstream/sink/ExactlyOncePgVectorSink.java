package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * {@code sink.mode: exactly-once}: two-phase commit with PostgreSQL's own {@code PREPARE
 * TRANSACTION}. Each subtask prepares one transaction per checkpoint; the committer commits it when
 * the checkpoint completes, so the tables show exactly the effects of checkpointed input.
 */
final class ExactlyOncePgVectorSink extends CommittingPgVectorSink
        implements SupportsWriterState<DocumentUpdate, TransactionalWriterState> {
    private static final long serialVersionUID = 1L;

    ExactlyOncePgVectorSink(PgVectorSinkOptions options, StatusTopic statusTopic) {
        super(options, statusTopic);
    }

    @Override
    public TransactionalWriter createWriter(WriterInitContext context) throws IOException {
        return restoreWriter(context, List.of());
    }

    @Override
    public TransactionalWriter restoreWriter(
            WriterInitContext context, Collection<TransactionalWriterState> restored)
            throws IOException {
        return new TransactionalWriter(
                options,
                context.metricGroup(),
                context.getMailboxExecutor(),
                context.getTaskInfo().getIndexOfThisSubtask(),
                restored,
                context.getRestoredCheckpointId());
    }

    @Override
    public SimpleVersionedSerializer<TransactionalWriterState> getWriterStateSerializer() {
        return new TransactionalWriterStateSerializer();
    }
}
