package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;
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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Writes the updates between two checkpoints into one transaction and prepares it at the
 * barrier ({@code PREPARE TRANSACTION}); the committer commits it once the checkpoint is complete.
 *
 * <p>A prepared transaction keeps its row locks until it is committed, and that happens on this
 * very task thread when the checkpoint-complete notification is processed. So the writer never
 * writes while one of its own transactions is still prepared: it keeps the updates in memory
 * (and in its checkpointed state) and writes them once PostgreSQL no longer lists that
 * transaction. Writing into it otherwise would wait on a lock that only this thread can free.
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
    /** Written into the open transaction. */
    private final List<DocumentStatus> written = new ArrayList<>();
    /** Prepared by this subtask and not yet seen committed. */
    private final Set<String> prepared = new LinkedHashSet<>();
    private final SinkSession session;
    /** Whether the open transaction holds writes. */
    private boolean inTransaction;
    private long transactions;
    /** How long the end of input waits for the committer before committing by itself. */
    Duration endOfInputCommitWait = Duration.ofSeconds(10);

    TransactionalWriter(PgVectorSinkOptions options, MetricGroup metricGroup, MailboxExecutor mailbox, int subtask,
                        Collection<TransactionalWriterState> restored, boolean isRestore) throws IOException {
        this.options = options;
        this.session = new SinkSession(options, false);
        this.mailbox = mailbox;
        this.writer = new DocumentWriter(options.schema(), options.model());
        this.metrics = new SinkMetrics(metricGroup, options.schema().chunksTable());
        this.ids = new TransactionIds(options.schema().chunksTable(), subtask,
                UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        for (TransactionalWriterState state : restored) {
            prepared.addAll(state.prepared());
            unwritten.addAll(state.unwritten());
        }
        try {
            recover(subtask, restored, isRestore);
        } catch (SQLException e) {
            throw new IOException("cannot recover the prepared transactions of " + options, e);
        }
    }

    /**
     * Finishes what earlier runs left prepared. After a restore, the transactions in the restored
     * state belong to the committer; any other of the restored subtasks' was prepared after the
     * checkpoint, and its input is replayed, so it is rolled back. On a fresh start nothing says
     * whether a leftover's checkpoint completed, so subtask 0 commits them all: every write is
     * version-guarded, so committing one whose input is replayed changes nothing.
     */
    private void recover(int subtask, Collection<TransactionalWriterState> restored, boolean isRestore) throws SQLException {
        if (!isRestore && subtask != 0) {
            return;
        }
        Set<Integer> owners = new HashSet<>();
        restored.forEach(state -> owners.add(state.subtask()));
        String table = options.schema().chunksTable();
        try (Connection c = options.connect()) {
            int committed = 0, rolledBack = 0;
            for (String gid : PreparedTransactions.list(c, table)) {
                if (!isRestore) {
                    committed += PreparedTransactions.commit(c, gid) ? 1 : 0;
                } else if (!prepared.contains(gid)
                        && TransactionIds.subtaskOf(gid, table).map(owners::contains).orElse(false)) {
                    rolledBack += PreparedTransactions.rollback(c, gid) ? 1 : 0;
                }
            }
            if (committed + rolledBack > 0) {
                LOG.info("{}: committed {} and rolled back {} transactions left prepared by an earlier run",
                        table, committed, rolledBack);
            }
        }
    }

    @Override
    public void write(DocumentUpdate update, Context context) throws IOException {
        unwritten.add(update);
        // past a full batch, ask PostgreSQL again only once per further batch
        if (unwritten.size() >= options.batchSize() && unwritten.size() % options.batchSize() == 0) {
            writeIfFree();
        }
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
        long deadline = System.nanoTime() + endOfInputCommitWait.toNanos();
        try {
            while (!prepared.isEmpty() && System.nanoTime() < deadline) {
                if (!mailbox.tryYield()) {
                    Thread.sleep(20);
                }
                refreshPrepared();
            }
            if (!prepared.isEmpty()) {
                try (Connection c = options.connect()) {
                    for (String gid : prepared) {
                        PreparedTransactions.commit(c, gid);
                    }
                }
                LOG.info("{}: committed {} at the end of input without waiting for its checkpoint", options, prepared);
                prepared.clear();
            }
        } catch (SQLException e) {
            fail("committing the previous transaction at the end of input", e);
        }
    }

    private void refreshPrepared() throws SQLException {
        Connection c = session.get();
        prepared.retainAll(PreparedTransactions.stillPrepared(c, prepared));
        c.commit(); // the lookup's own snapshot; nothing is written while a transaction is prepared
    }

    @Override
    public Collection<SinkCommittable> prepareCommit() throws IOException {
        writeIfFree();
        if (!inTransaction) {
            return List.of();
        }
        String gid = ids.gid(++transactions);
        try (Statement st = session.get().createStatement()) {
            st.execute("PREPARE TRANSACTION " + TransactionIds.literal(gid));
        } catch (SQLException e) {
            fail("preparing transaction " + gid, e);
        }
        inTransaction = false;
        prepared.add(gid);
        SinkCommittable committable = new SinkCommittable(gid, List.copyOf(written));
        written.clear();
        return List.of(committable);
    }

    @Override
    public List<TransactionalWriterState> snapshotState(long checkpointId) {
        return List.of(new TransactionalWriterState(ids.subtask(), List.copyOf(prepared), List.copyOf(unwritten)));
    }

    /** Writes what is buffered into the open transaction, unless an earlier one is still prepared. */
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
