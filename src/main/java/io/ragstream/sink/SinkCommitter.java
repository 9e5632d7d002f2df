package io.ragstream.sink;

import org.apache.flink.api.connector.sink2.Committer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;

/**
 * Commits the exactly-once writer's prepared transactions once their checkpoint is complete, and
 * again after a restore. A name PostgreSQL no longer knows was committed already if its marker is
 * there; without it the transaction was rolled back, and it is not passed on: the status topic
 * never announces what is not in the tables. What the idempotent writer committed itself passes
 * through; the committables then flow on to the status topic.
 */
final class SinkCommitter implements Committer<SinkCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(SinkCommitter.class);
    private static final Duration FORGET_MARKERS_EVERY = Duration.ofHours(1);

    private final PgVectorSinkOptions options;
    private final SinkSession session;

    /**
     * Only one subtask's committer forgets old markers: several deleting the same rows would wait
     * on each other.
     */
    private final boolean forgetsMarkers;

    private long markersForgottenAt = System.nanoTime();

    SinkCommitter(PgVectorSinkOptions options, int subtask) {
        this.options = options;
        this.session =
                new SinkSession(options, true); // COMMIT PREPARED cannot run inside a transaction
        this.forgetsMarkers = subtask == 0;
    }

    @Override
    public void commit(Collection<CommitRequest<SinkCommittable>> requests) {
        for (CommitRequest<SinkCommittable> request : requests) {
            String gid = request.getCommittable().preparedTransaction();
            if (gid == null) {
                continue;
            }
            try {
                Connection c = session.get();
                if (PreparedTransactions.commit(c, gid)) {
                    continue;
                }
                // names from before the markers (a savepoint of an earlier version) count as
                // committed, as they did then
                if (TransactionIds.parse(gid).isEmpty()
                        || PreparedTransactions.wasCommitted(c, gid)) {
                    request.signalAlreadyCommitted();
                } else {
                    // not ours: this sink rolls back only what a restore replays, and that never
                    // reaches a committer
                    LOG.error(
                            "{}: transaction {} was rolled back by someone else; its {} documents are not in the "
                                    + "tables and are not announced",
                            options,
                            gid,
                            request.getCommittable().documents().size());
                    request.signalFailedWithKnownReason(
                            new IllegalStateException("transaction " + gid + " was rolled back"));
                }
            } catch (SQLException e) {
                // the database is unreachable or restarting: the transaction stays prepared
                // (it survives a PostgreSQL restart) and is committed on a later attempt
                LOG.warn("committing {} failed, will retry: {}", gid, e.getMessage());
                session.close();
                request.retryLater();
            }
        }
        forgetOldMarkers();
    }

    private void forgetOldMarkers() {
        if (!forgetsMarkers
                || System.nanoTime() - markersForgottenAt < FORGET_MARKERS_EVERY.toNanos()) {
            return;
        }
        markersForgottenAt = System.nanoTime();
        try {
            PreparedTransactions.forgetOldMarkers(session.get(), options.transactionPrefix());
        } catch (SQLException e) {
            LOG.warn(
                    "{}: forgetting old transaction markers failed, will try again: {}",
                    options,
                    e.getMessage());
            session.close();
        }
    }

    @Override
    public void close() throws IOException {
        session.close();
    }
}
