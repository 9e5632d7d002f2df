package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * {@code sink.mode: exactly-once}: two-phase commit with PostgreSQL's own {@code PREPARE
 * TRANSACTION}. Each subtask prepares one transaction per checkpoint; the committer commits it
 * when the checkpoint completes, so the tables show exactly the effects of checkpointed input.
 */
final class ExactlyOncePgVectorSink implements Sink<DocumentUpdate>,
        SupportsWriterState<DocumentUpdate, TransactionalWriterState>, SupportsCommitter<PreparedTransaction> {
    private static final long serialVersionUID = 1L;

    private final PgVectorSinkOptions options;

    ExactlyOncePgVectorSink(PgVectorSinkOptions options) {
        this.options = options;
    }

    @Override
    public TransactionalWriter createWriter(WriterInitContext context) throws IOException {
        return restoreWriter(context, List.of());
    }

    @Override
    public TransactionalWriter restoreWriter(
            WriterInitContext context, Collection<TransactionalWriterState> restored) throws IOException {
        return new TransactionalWriter(options, context.metricGroup(), context.getMailboxExecutor(), context.getTaskInfo().getIndexOfThisSubtask(),
                restored, context.getRestoredCheckpointId().isPresent());
    }

    @Override
    public SimpleVersionedSerializer<TransactionalWriterState> getWriterStateSerializer() {
        return new TransactionalWriterStateSerializer();
    }

    @Override
    public Committer<PreparedTransaction> createCommitter(CommitterInitContext context) {
        return new PreparedTransactionCommitter(options);
    }

    @Override
    public SimpleVersionedSerializer<PreparedTransaction> getCommittableSerializer() {
        return new PreparedTransactionSerializer();
    }
}
