package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

/**
 * Writes the updates between two checkpoints into one transaction and prepares it at the barrier
 * ({@code PREPARE TRANSACTION}); the committer commits it once the checkpoint is complete.
 *
 * <p>A prepared transaction keeps its row locks until it is committed, and that happens on this
 * very task thread when the checkpoint-complete notification is processed. So the writer never
 * writes while one of its own transactions is still prepared: it keeps the updates in memory (and
 * in its checkpointed state) and writes them once PostgreSQL no longer lists that transaction.
 * Writing into it otherwise would wait on a lock that only this thread can free. Past {@code
 * sink.max-buffered-bytes} it stops taking input until then (backpressure).
 */
final class TransactionalWriter
        implements CommittingSinkWriter<DocumentUpdate, SinkCommittable>,
                StatefulSinkWriter<DocumentUpdate, TransactionalWriterState> {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionalWriter.class);

    private final PgVectorSinkOptions options;
    private final DocumentWriter writer;
    private final SinkMetrics metrics;

    private final MailboxExecutor mailbox;
    private final TransactionIds ids;

    /** Accepted but not written yet. */
    private final List<DocumentUpdate> unwritten = new ArrayList<>();

    /** What {@link #unwritten} holds, about, in bytes. */
    private long unwrittenBytes;

    /** Written into the open transaction. */
    private final List<DocumentStatus> written = new ArrayList<>();

    /** Restored updates written and committed at the start, for the status topic. */
    private final List<DocumentStatus> committedUnannounced = new ArrayList<>();

    /** Prepared by this subtask and not yet seen committed. */
    private final Set<String> prepared = new LinkedHashSet<>();

    private final SinkSession session;

    /** Whether the open transaction holds writes. */
    private boolean inTransaction;

    /**
     * The newest checkpoint this writer snapshot (or was restored from): the open transaction
     * belongs to a later one.
     */
    private long lastCheckpoint;

    private long transactions;

    /** How long the end of input waits for the committer before committing by itself. */
    Duration endOfInputCommitWait = Duration.ofSeconds(10);

    /**
     * How long after its prepare a transaction still waited for by a full buffer is taken for one
     * whose checkpoint was aborted, and committed here.
     */
    Duration abortedCheckpointWait = Duration.ofSeconds(30);

    /** When the newest of {@link #prepared} was prepared (or restored). */
    private long preparedAt = System.nanoTime();

    TransactionalWriter(
            PgVectorSinkOptions options,
            MetricGroup metricGroup,
            MailboxExecutor mailbox,
            int subtask,
            Collection<TransactionalWriterState> restored,
            OptionalLong restoredCheckpoint)
            throws IOException {
        this.options = options;
        this.session = new SinkSession(options, false);
        this.mailbox = mailbox;
        this.writer = new DocumentWriter(options.schema(), options.model());
        this.metrics = new SinkMetrics(metricGroup, options.schema().chunksTable());
        metrics.gaugeBufferedBytes(() -> unwrittenBytes);
        this.ids =
                new TransactionIds(
                        options.transactionPrefix(),
                        subtask,
                        UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        this.lastCheckpoint = restoredCheckpoint.orElse(0);
        Set<String> restoredPrefixes = new LinkedHashSet<>();
        for (TransactionalWriterState state : restored) {
            if (state.prefix() != null) {
                restoredPrefixes.add(state.prefix());
            }
            prepared.addAll(state.prepared());
            unwritten.addAll(
                    state.unwritten()); // written before any input: not counted against the cap
        }
        if (subtask == 0) {
            try {
                recover(restoredCheckpoint, restoredPrefixes);
            } catch (SQLException e) {
                throw new IOException(
                        "cannot finish the transactions earlier runs of "
                                + options
                                + " left prepared",
                        e);
            }
        }
        writeRestored();
    }

    /**
     * Updates restored from a checkpoint come from its input, which is not replayed: they are
     * written and committed now, before any new input. After a rescale they may be another
     * subtask's documents, whose new updates go elsewhere; left for this subtask's next
     * transaction, they would hold those rows' locks against it until a checkpoint that the other
     * subtask, waiting on them, keeps from completing. Until subtask 0 has finished the restored
     * transactions this waits on their locks.
     */
    private void writeRestored() throws IOException {
        if (unwritten.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            Connection c = session.get();
            DocumentWriter.Counts counts = writer.write(c, unwritten);
            c.commit();
            counts.applied().forEach(update -> committedUnannounced.add(DocumentStatus.of(update)));
            metrics.batchWritten(counts, start);
            LOG.info(
                    "{}: wrote {} updates restored from the checkpoint", options, unwritten.size());
            unwritten.clear();
            unwrittenBytes = 0;
        } catch (SQLException e) {
            fail("writing " + unwritten.size() + " updates restored from the checkpoint", e);
        }
    }

    /**
     * Finishes every transaction this sink's earlier runs left prepared ({@link
     * PreparedTransactions#finishLeftovers}), and no other sink's: subtask 0 does it for all (a
     * checkpoint, and so the next prepare, needs every subtask started).
     */
    private void recover(OptionalLong restoredCheckpoint, Set<String> restoredPrefixes)
            throws SQLException {
        try (Connection c = options.connect()) {
            finish(c, ids.prefix(), restoredCheckpoint);
            // State of another prefix: the default follows the consumer group, which follows the
            // topics, and those may change across a restore. Its leftovers are committed, as on
            // a fresh start: their owner may still run (a job started from another's savepoint),
            // and the version guards make committing one whose input is replayed harmless.
            for (String restored : restoredPrefixes) {
                if (!restored.equals(ids.prefix())) {
                    finish(c, restored, OptionalLong.empty());
                }
            }
        }
    }

    private void finish(Connection c, String prefix, OptionalLong restoredCheckpoint)
            throws SQLException {
        PreparedTransactions.Finished finished =
                PreparedTransactions.finishLeftovers(
                        c, prefix, options.schema().chunksTable(), restoredCheckpoint);
        PreparedTransactions.forgetOldMarkers(c, prefix);
        if (finished.committed() + finished.rolledBack() > 0) {
            LOG.info(
                    "{}: committed {} and rolled back {} transactions of {} left prepared by an earlier run ({})",
                    options,
                    finished.committed(),
                    finished.rolledBack(),
                    prefix,
                    restoredCheckpoint.isEmpty()
                            ? "a fresh start"
                            : "restored from checkpoint " + restoredCheckpoint.getAsLong());
        }
    }

    @Override
    public void write(DocumentUpdate update, Context context)
            throws IOException, InterruptedException {
        long bytes = estimatedBytes(update);
        // room first: the buffer never holds more than its cap (one update larger than the cap
        // waits alone)
        if (!prepared.isEmpty()
                && !unwritten.isEmpty()
                && unwrittenBytes + bytes > options.maxBufferedBytes()) {
            awaitRoom();
        }
        unwritten.add(update);
        unwrittenBytes += bytes;
        // past a full batch, ask PostgreSQL again only once per further batch
        if (unwritten.size() >= options.batchSize()
                && unwritten.size() % options.batchSize() == 0) {
            writeIfFree();
        }
    }

    /**
     * Holds the task (so Flink backpressures the input) until the previous transaction is committed
     * and the buffer written. The checkpoint-complete notification, on which the committer commits
     * it, is mail on this very thread: it runs while this yields.
     *
     * <p>A checkpoint aborted after this writer prepared its transaction (a stop-with-savepoint
     * aborts the one under way; so does a task failing elsewhere) never sends that notification,
     * and the next checkpoint's barrier waits behind this very call: the savepoint hung until it
     * timed out, and the task failed (once in ChaosIT). So a transaction still prepared {@link
     * #abortedCheckpointWait} after its prepare is committed here, as at the end of input: its
     * writes are version-guarded, and a replay of its input after a restore rewrites the same rows.
     * The committer later finds it committed.
     */
    private void awaitRoom() throws IOException, InterruptedException {
        long start = System.nanoTime();
        try {
            Duration left = abortedCheckpointWait.minusNanos(System.nanoTime() - preparedAt);
            if (!awaitCommitted(left.isNegative() ? Duration.ZERO : left)) {
                commitPreparedHere(
                        "its checkpoint did not complete within "
                                + abortedCheckpointWait
                                + " while "
                                + unwrittenBytes
                                + " bytes of updates (more than "
                                + RagstreamOptions.SINK_MAX_BUFFERED_BYTES.key()
                                + ") waited: it was aborted, or is slow");
            }
        } catch (SQLException e) {
            fail("waiting for the previous transaction to be committed", e);
        }
        writeIfFree();
        LOG.debug(
                "{}: a full buffer waited {} ms for the previous commit",
                options,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Commits what this writer holds prepared, without its checkpoint; says why in the log. */
    private void commitPreparedHere(String why) throws SQLException {
        try (Connection c = options.connect()) {
            for (String gid : prepared) {
                PreparedTransactions.commit(c, gid);
            }
        }
        LOG.info("{}: committed {} without its checkpoint: {}", options, prepared, why);
        prepared.clear();
    }

    /** About what an update takes on the heap: its texts, vectors and metadata. */
    static long estimatedBytes(DocumentUpdate update) {
        long bytes =
                128
                        + 2L
                                * (update.tenant().length()
                                        + update.docId().length()
                                        + update.metadata().length());
        for (ChunkRow chunk : update.chunks()) {
            bytes +=
                    96
                            + (chunk.text() == null ? 0 : 2L * chunk.text().length())
                            + (chunk.embedding() == null ? 0 : 4L * chunk.embedding().length);
        }
        return bytes;
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        if (endOfInput) {
            awaitPreviousCommit();
        }
        writeIfFree();
    }

    /**
     * At the end of a bounded input nothing can wait for a later checkpoint: give the task's
     * mailbox the chance to run the committer (checkpoint notifications are its most urgent mail),
     * and if the earlier transaction is still prepared after that, commit it here. Its writes are
     * version-guarded, so committing it before its checkpoint completes changes nothing a replay
     * would not.
     */
    private void awaitPreviousCommit() throws IOException, InterruptedException {
        try {
            if (!awaitCommitted(endOfInputCommitWait)) {
                commitPreparedHere("the end of input");
            }
        } catch (SQLException e) {
            fail("committing the previous transaction at the end of input", e);
        }
    }

    /**
     * Lets the task's mailbox run (the committer commits on the checkpoint-complete mail) until
     * PostgreSQL holds no transaction of this writer prepared; false if {@code wait} ran out first.
     */
    private boolean awaitCommitted(Duration wait) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!prepared.isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            if (!mailbox.tryYield()) {
                Thread.sleep(20);
            }
            refreshPrepared();
        }
        return true;
    }

    private void refreshPrepared() throws SQLException {
        Connection c = session.get();
        prepared.retainAll(PreparedTransactions.stillPrepared(c, prepared));
        c.commit(); // the lookup's own snapshot; nothing is written while a transaction is prepared
    }

    @Override
    public Collection<SinkCommittable> prepareCommit() throws IOException {
        writeIfFree();
        List<SinkCommittable> committables = new ArrayList<>(2);
        if (!committedUnannounced
                .isEmpty()) { // committed already: no transaction for the committer, only the
            // status topic
            committables.add(new SinkCommittable(null, List.copyOf(committedUnannounced)));
            committedUnannounced.clear();
        }
        if (!inTransaction) {
            return committables;
        }
        // the checkpoint whose barrier comes next is this one or a later one (a checkpoint may be
        // aborted before its barrier gets here): never a number above the real one, which a
        // restore from it would roll back
        String gid = ids.gid(lastCheckpoint + 1, ++transactions);
        try (Statement st = session.get().createStatement()) {
            PreparedTransactions.mark(session.get(), gid);
            st.execute("PREPARE TRANSACTION " + TransactionIds.literal(gid));
        } catch (SQLException e) {
            fail("preparing transaction " + gid, e);
        }
        inTransaction = false;
        prepared.add(gid);
        preparedAt = System.nanoTime();
        committables.add(new SinkCommittable(gid, List.copyOf(written)));
        written.clear();
        return committables;
    }

    @Override
    public List<TransactionalWriterState> snapshotState(long checkpointId) {
        lastCheckpoint = checkpointId;
        return List.of(
                new TransactionalWriterState(
                        ids.prefix(),
                        ids.subtask(),
                        List.copyOf(prepared),
                        List.copyOf(unwritten)));
    }

    /**
     * Writes what is buffered into the open transaction, unless an earlier one is still prepared.
     */
    private void writeIfFree() throws IOException {
        if (unwritten.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            if (!prepared.isEmpty()) {
                refreshPrepared();
                if (!prepared.isEmpty()) {
                    return;
                }
            }
            DocumentWriter.Counts counts = writer.write(session.get(), unwritten);
            inTransaction = true;
            counts.applied().forEach(update -> written.add(DocumentStatus.of(update)));
            unwritten.clear();
            unwrittenBytes = 0;
            metrics.batchWritten(counts, start);
        } catch (SQLException e) {
            fail("writing " + unwritten.size() + " documents", e);
        }
    }

    /**
     * Fails the task: the open transaction is gone with its session, and Flink restarts from the
     * last checkpoint, whose input is replayed.
     */
    private void fail(String what, SQLException e) throws IOException {
        close();
        throw new IOException(what + " in " + options + " failed", e);
    }

    @Override
    public void close() {
        session.close(); // an open, unprepared transaction rolls back with it
        inTransaction = false;
        written.clear();
    }
}
