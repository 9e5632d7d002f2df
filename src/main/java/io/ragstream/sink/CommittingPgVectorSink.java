package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What both sink modes share: the committer, which finishes what the writers prepared, and after it
 * the status topic, which hears of a document only once its rows are committed.
 */
abstract class CommittingPgVectorSink
        implements Sink<DocumentUpdate>,
                SupportsCommitter<SinkCommittable>,
                SupportsPostCommitTopology<SinkCommittable> {
    private static final long serialVersionUID = 1L;

    final PgVectorSinkOptions options;

    /** Null: no status records (a sink used on its own, as in the sink bench). */
    private final StatusTopic statusTopic;

    CommittingPgVectorSink(PgVectorSinkOptions options, StatusTopic statusTopic) {
        this.options = options;
        this.statusTopic = statusTopic;
    }

    @Override
    public Committer<SinkCommittable> createCommitter(CommitterInitContext context) {
        return new SinkCommitter(options, context.getTaskInfo().getIndexOfThisSubtask());
    }

    @Override
    public SimpleVersionedSerializer<SinkCommittable> getCommittableSerializer() {
        return new SinkCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<SinkCommittable>> committed) {
        if (statusTopic != null) {
            statusTopic.addTo(committed);
        }
    }
}
