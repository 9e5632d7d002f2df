package io.ragstream.sink;

import org.apache.flink.api.connector.sink2.Committer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Collection;

/**
 * Commits the exactly-once writer's prepared transactions once their checkpoint is complete, and
 * again after a restore: a name PostgreSQL no longer knows was committed already. What the
 * idempotent writer committed itself passes through; either way the committables then flow on
 * to the status topic.
 */
final class SinkCommitter implements Committer<SinkCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(SinkCommitter.class);

    private final PgVectorSinkOptions options;
    private final SinkSession session;

    SinkCommitter(PgVectorSinkOptions options) {
        this.options = options;
        this.session = new SinkSession(options, true); // COMMIT PREPARED cannot run inside a transaction
    }

    @Override
    public void commit(Collection<CommitRequest<SinkCommittable>> requests) {
        for (CommitRequest<SinkCommittable> request : requests) {
            String gid = request.getCommittable().preparedTransaction();
            if (gid == null) {
                continue;
            }
            try {
                if (!PreparedTransactions.commit(session.get(), gid)) {
                    request.signalAlreadyCommitted();
                }
            } catch (SQLException e) {
                // the database is unreachable or restarting: the transaction stays prepared
                // (it survives a PostgreSQL restart) and is committed on a later attempt
                LOG.warn("committing {} failed, will retry: {}", gid, e.getMessage());
                session.close();
                request.retryLater();
            }
        }
    }



    @Override
    public void close() throws IOException {
        session.close();
    }
}
