package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.metrics.MetricGroup;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Buffers updates and commits them as one transaction when the batch is full or at a checkpoint.
 */
final class IdempotentWriter implements CommittingSinkWriter<DocumentUpdate, SinkCommittable> {
    private final PgVectorSinkOptions options;
    private final DocumentWriter writer;
    private final List<DocumentUpdate> buffer = new ArrayList<>();

    /** Committed since the last checkpoint, for the status topic. */
    private final List<DocumentStatus> committed = new ArrayList<>();

    private final SinkMetrics metrics;
    private final SinkSession session;

    IdempotentWriter(PgVectorSinkOptions options, MetricGroup metricGroup) {
        this.options = options;
        this.session = new SinkSession(options, false);
        this.writer = new DocumentWriter(options.schema(), options.model());
        this.metrics = new SinkMetrics(metricGroup, options.schema().chunksTable());
    }

    @Override
    public void write(DocumentUpdate update, Context context) throws IOException {
        buffer.add(update);
        if (buffer.size() >= options.batchSize()) {
            writeBuffer();
        }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException {
        writeBuffer();
    }

    /**
     * The documents committed since the last checkpoint; already committed, so nothing left to do
     * but report them.
     */
    @Override
    public Collection<SinkCommittable> prepareCommit() {
        if (committed.isEmpty()) {
            return List.of();
        }
        SinkCommittable committable = new SinkCommittable(null, List.copyOf(committed));
        committed.clear();
        return List.of(committable);
    }

    private void writeBuffer() throws IOException {
        if (buffer.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            Connection c = session.get();
            DocumentWriter.Counts counts = writer.write(c, buffer);
            c.commit();
            metrics.batchWritten(counts, start);
            counts.applied().forEach(update -> committed.add(DocumentStatus.of(update)));
            buffer.clear();
        } catch (SQLException e) {
            session.close();
            // fail the task: Flink restarts from the last checkpoint and replays, and the
            // version guards make the replay harmless
            throw new IOException(
                    "writing " + buffer.size() + " documents to " + options + " failed", e);
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
