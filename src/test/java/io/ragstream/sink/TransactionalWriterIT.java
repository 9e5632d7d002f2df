package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.SinkMode;
import io.ragstream.quantize.Quantization;
import io.ragstream.testing.TcpProxy;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.mailbox.SyncMailboxExecutor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exactly-once writer and committer against the real PostgreSQL: writes stay invisible until
 * the committer commits, the writer never writes while its previous transaction is still prepared
 * (and holds its input back past its buffer's cap), a restarted writer finishes what its
 * predecessors left prepared at any parallelism and nothing of another sink's, and a stuck database
 * fails the task within its timeouts.
 */
class TransactionalWriterIT {
    private final TestServices services = new TestServices("txwriter");
    private PgVectorSinkOptions options;
    private final List<TransactionalWriter> writers = new ArrayList<>();

    @BeforeEach
    void createTables() throws Exception {
        PgVectorSchema schema =
                new PgVectorSchema(
                        services.documentsTable, services.chunksTable, Quantization.FLOAT16, 3);
        options =
                new PgVectorSinkOptions(
                        TestServices.PG_URL,
                        TestServices.PG_USER,
                        TestServices.PG_PASSWORD,
                        schema,
                        "test-model",
                        SinkMode.EXACTLY_ONCE,
                        2,
                        true,
                        16,
                        64);
        options.prepareTables();
    }

    @AfterEach
    void cleanUp() throws Exception {
        writers.forEach(TransactionalWriter::close);
        try (Connection c = TestServices.connect()) {
            for (String prefix : List.of(options.transactionPrefix(), "job_a", "jobxa")) {
                PreparedTransactions.rollBackAll(c, prefix);
            }
        }
        services.dropTables();
    }

    @Test
    void writesBecomeVisibleOnlyWhenTheCommitterCommits() throws Exception {
        TransactionalWriter writer = writer(0);
        writer.write(doc("a", 1, "alpha"), null);
        writer.write(doc("b", 1, "beta"), null); // a full batch: written, not visible
        writer.flush(false);
        assertThat(documents()).isZero();

        writer.write(doc("a", 0, "a stale draft"), null); // older than what the transaction holds
        Collection<SinkCommittable> prepared = writer.prepareCommit();
        assertThat(prepared).hasSize(1);
        assertThat(prepared.iterator().next().documents())
                .as("what the status topic will announce, stale excluded")
                .containsExactly(
                        new DocumentStatus("t", "a", 1, false, 1, 1, 0),
                        new DocumentStatus("t", "b", 1, false, 1, 1, 0));
        assertThat(preparedGids())
                .containsExactly(prepared.iterator().next().preparedTransaction());
        assertThat(documents()).isZero();

        List<String> outcomes = commit(prepared);
        assertThat(outcomes).containsExactly("committed");
        assertThat(documents()).isEqualTo(2);
        assertThat(preparedGids()).isEmpty();

        assertThat(commit(prepared))
                .as("a commit replayed after a restore")
                .containsExactly("already committed");
        assertThat(writer.prepareCommit()).as("nothing written since").isEmpty();
    }

    @Test
    void keepsUpdatesWhileItsPreviousTransactionIsStillPrepared() throws Exception {
        TransactionalWriter writer = writer(0);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first = writer.prepareCommit();

        // the next epoch touches the same row, while the first transaction still holds its lock
        writer.write(doc("a", 2, "alpha, edited"), null);
        writer.write(doc("b", 1, "beta"), null);
        writer.flush(false);
        assertThat(writer.prepareCommit()).as("nothing may be written yet").isEmpty();
        TransactionalWriterState state = writer.snapshotState(2).get(0);
        assertThat(state.unwritten()).extracting(DocumentUpdate::key).containsExactly("t/a", "t/b");
        assertThat(state.prepared()).containsExactly(first.iterator().next().preparedTransaction());

        commit(first);
        Collection<SinkCommittable> second = writer.prepareCommit();
        assertThat(second).hasSize(1);
        commit(second);
        assertThat(versions()).containsExactly("a:2", "b:1");
        assertThat(writer.snapshotState(3).get(0).unwritten()).isEmpty();
    }

    @Test
    void theEndOfInputWaitsForTheCommitterAndWritesEverything() throws Exception {
        TransactionalWriter writer = writer(0);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first = writer.prepareCommit();
        writer.write(doc("a", 2, "alpha, edited"), null);

        // the checkpoint-complete notification arrives while the end of input waits
        CompletableFuture<List<String>> committer =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                Thread.sleep(500);
                                return commit(first);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        writer.flush(true);
        assertThat(committer.get()).containsExactly("committed");
        commit(writer.prepareCommit());
        assertThat(versions()).containsExactly("a:2");
    }

    @Test
    void theEndOfInputCommitsAnEarlierTransactionWhoseCheckpointNeverCompletes() throws Exception {
        TransactionalWriter writer = writer(0);
        writer.endOfInputCommitWait = Duration.ofMillis(300);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first = writer.prepareCommit(); // its checkpoint fails
        writer.write(doc("b", 1, "beta"), null);

        writer.flush(true);
        Collection<SinkCommittable> last = writer.prepareCommit();
        assertThat(commit(first))
                .as("the committer, at the final checkpoint")
                .containsExactly("already committed");
        commit(last);
        assertThat(versions()).containsExactly("a:1", "b:1");
        assertThat(preparedGids()).isEmpty();
    }

    @Test
    void afterScalingUpEveryLeftoverIsResolvedByItsCheckpoint() throws Exception {
        // two subtasks, checkpoint 1 committed; subtask 0's transaction of checkpoint 2 lost its
        // commit (the job died after checkpoint 2 completed); subtask 1's of checkpoint 3 never
        // completed
        TransactionalWriter s0 = writer(0), s1 = writer(1);
        for (TransactionalWriter w : List.of(s0, s1)) {
            w.write(doc("d" + writers.indexOf(w), 1, "one"), null);
            commit(w.prepareCommit());
            w.snapshotState(1);
            w.write(doc("d" + writers.indexOf(w), 2, "two"), null);
        }
        s0.prepareCommit();
        TransactionalWriterState state0 = s0.snapshotState(2).get(0);
        commit(s1.prepareCommit());
        TransactionalWriterState state1 = s1.snapshotState(2).get(0);
        s1.write(doc("d1", 3, "three, never checkpointed"), null);
        s1.prepareCommit();
        s0.close();
        s1.close();
        assertThat(preparedGids()).hasSize(2);

        // scaled up to three from checkpoint 2; the new subtasks prepare before checkpoint 3, and
        // that attempt fails too
        List<TransactionalWriter> scaledUp =
                List.of(
                        writer(0, List.of(state0), OptionalLong.of(2)),
                        writer(1, List.of(state1), OptionalLong.of(2)),
                        writer(2, List.of(), OptionalLong.of(2)));
        assertThat(preparedGids())
                .as("checkpoint 2's committed, checkpoint 3's rolled back")
                .isEmpty();
        assertThat(versions()).containsExactly("d0:2", "d1:2");
        for (TransactionalWriter w : scaledUp.subList(1, 3)) {
            w.write(
                    doc(
                            "new" + scaledUp.indexOf(w),
                            1,
                            "written before the first checkpoint of the rescaled job"),
                    null);
            w.prepareCommit();
            w.close();
        }
        assertThat(preparedGids()).hasSize(2);

        writer(0, List.of(state0), OptionalLong.of(2));
        assertThat(preparedGids())
                .as("the new subtasks' transactions, after checkpoint 2, rolled back")
                .isEmpty();
        assertThat(versions()).containsExactly("d0:2", "d1:2");
    }

    @Test
    void afterScalingDownToAnOlderSavepointTheHigherParallelismsLeftoversAreResolved()
            throws Exception {
        // three subtasks restored from checkpoint 4: subtask 2's transaction of checkpoint 5 lost
        // its
        // commit; subtasks 0 and 1 committed theirs and prepared for checkpoint 6, which never
        // completed
        for (int subtask = 0; subtask < 3; subtask++) {
            TransactionalWriter w = writer(subtask, List.of(), OptionalLong.of(4));
            w.write(doc("e" + subtask, 5, "five"), null);
            Collection<SinkCommittable> five = w.prepareCommit();
            w.snapshotState(5);
            if (subtask < 2) {
                commit(five);
                w.write(doc("e" + subtask, 6, "six"), null);
                w.prepareCommit();
            }
            w.close();
        }
        assertThat(preparedGids()).hasSize(3);

        // the savepoint of checkpoint 5 resumed at one subtask
        writer(0, List.of(), OptionalLong.of(5));
        assertThat(preparedGids()).isEmpty();
        assertThat(versions())
                .as("checkpoint 5's writes committed, checkpoint 6's rolled back")
                .containsExactly("e0:5", "e1:5", "e2:5");
    }

    @Test
    void aRestoreUnderAnotherPrefixCommitsWhatTheRestoredPrefixLeftPrepared() throws Exception {
        // the default prefix follows the consumer group, which follows the topics: a topic added
        // before a resume from a crash's checkpoint gives the restored sink another prefix
        PgVectorSinkOptions before = options.withTransactionPrefix("before-topics");
        PgVectorSinkOptions after = options.withTransactionPrefix("after-topics");
        TransactionalWriter crashed = writer(before, 0, List.of(), OptionalLong.empty());
        crashed.write(doc("a", 1, "one"), null);
        commit(before, crashed.prepareCommit());
        TransactionalWriterState checkpoint1 = crashed.snapshotState(1).get(0);
        crashed.write(doc("a", 2, "two, never checkpointed"), null);
        crashed.prepareCommit();
        crashed.close();
        assertThat(preparedGids(before)).hasSize(1);

        writer(after, 0, List.of(checkpoint1), OptionalLong.of(1));
        assertThat(preparedGids(before))
                .as("checkpoint 2's transaction, holding a's rows, finished")
                .isEmpty();
        // committed, not rolled back: the old prefix's job may still run (started from its
        // savepoint), and what the restored job replays writes the same
        assertThat(versions()).containsExactly("a:2");
    }

    @Test
    void updatesRestoredIntoAnotherSubtaskAreWrittenBeforeAnyNewInput() throws Exception {
        // one subtask: a:1 prepared for checkpoint 1, a:2 waiting for it, then the job dies after
        // checkpoint 1 completed and before the commit
        TransactionalWriter single = writer(0);
        single.write(doc("a", 1, "alpha"), null);
        single.prepareCommit();
        single.write(doc("a", 2, "alpha, edited"), null);
        TransactionalWriterState checkpoint1 = single.snapshotState(1).get(0);
        single.close();

        // rescaled to two, the state lands on subtask 1; it waits on a:1's lock until subtask 0
        // commits it
        CompletableFuture<TransactionalWriter> second =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return writer(1, List.of(checkpoint1), OptionalLong.of(1));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        Thread.sleep(300);
        writer(0, List.of(), OptionalLong.of(1));
        TransactionalWriter restored = second.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(versions())
                .as("visible before any checkpoint of the new job")
                .containsExactly("a:2");
        assertThat(restored.snapshotState(2).get(0).unwritten()).isEmpty();
        assertThat(restored.prepareCommit())
                .as("announced with the next checkpoint")
                .singleElement()
                .satisfies(c -> assertThat(c.preparedTransaction()).isNull())
                .satisfies(
                        c ->
                                assertThat(c.documents())
                                        .extracting(DocumentStatus::version)
                                        .containsExactly(2L));
        assertThat(preparedGids()).isEmpty();
    }

    @Test
    void aFreshStartCommitsWhatEarlierRunsLeftPrepared() throws Exception {
        TransactionalWriter earlier = writer(1);
        earlier.write(doc("a", 1, "alpha"), null);
        earlier.prepareCommit();
        earlier.close();

        writer(1);
        assertThat(preparedGids()).as("only subtask 0 finishes leftovers").hasSize(1);
        writer(0);
        assertThat(preparedGids()).isEmpty();
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void twoSinksInOneDatabaseNeverTouchEachOthersTransactions() throws Exception {
        // prefixes LIKE would confuse: '_' matches any character
        PgVectorSinkOptions first = options.withTransactionPrefix("job_a");
        PgVectorSinkOptions second = options.withTransactionPrefix("jobxa");
        TransactionalWriter a = writer(first, 0, List.of(), OptionalLong.empty());
        a.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> prepared = a.prepareCommit();

        writer(second, 0, List.of(), OptionalLong.empty())
                .close(); // a fresh start commits its own leftovers
        writer(second, 0, List.of(), OptionalLong.of(1))
                .close(); // a restore rolls back its own later ones
        assertThat(preparedGids(first)).as("the other sink's transaction").hasSize(1);
        assertThat(documents()).isZero();

        assertThat(commit(first, prepared))
                .as("committed by its own committer, announced")
                .containsExactly("committed");
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void rollingBackWhatASinkLeftPreparedLeavesAnotherSinksAlone() throws Exception {
        PgVectorSinkOptions first = options.withTransactionPrefix("job_a");
        PgVectorSinkOptions second = options.withTransactionPrefix("jobxa");
        TransactionalWriter a = writer(first, 0, List.of(), OptionalLong.empty());
        a.write(doc("a", 1, "alpha"), null);
        a.prepareCommit();
        TransactionalWriter b = writer(second, 0, List.of(), OptionalLong.empty());
        b.write(doc("b", 1, "beta"), null);
        b.prepareCommit();

        assertThat(first.rollBackLeftovers()).isEqualTo(1);
        assertThat(preparedGids(first)).isEmpty();
        assertThat(preparedGids(second)).as("the other sink's transaction").hasSize(1);
        assertThat(documents()).isZero();
    }

    @Test
    void aCommitterTellsACommittedTransactionFromARolledBackOne() throws Exception {
        TransactionalWriter writer = writer(0);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> committedElsewhere = writer.prepareCommit();
        commit(committedElsewhere); // as the writer's recovery or the end of input may
        writer.snapshotState(1);
        writer.write(doc("b", 1, "beta"), null);
        Collection<SinkCommittable> rolledBack = writer.prepareCommit();
        try (Connection c = TestServices.connect()) { // as a DBA might
            PreparedTransactions.rollback(c, rolledBack.iterator().next().preparedTransaction());
        }

        assertThat(commit(committedElsewhere)).containsExactly("already committed");
        assertThat(commit(rolledBack))
                .as("never announced")
                .singleElement()
                .asString()
                .startsWith("failed");
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void theBufferStaysUnderItsCapWhileTheCheckpointIsSlow() throws Exception {
        long cap = 16 * 1024;
        GaugeCapture metrics = new GaugeCapture();
        TransactionalWriter writer =
                new TransactionalWriter(
                        options.withMaxBufferedBytes(cap),
                        metrics,
                        new SyncMailboxExecutor(),
                        0,
                        List.of(),
                        OptionalLong.empty());
        writers.add(writer);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first =
                writer.prepareCommit(); // its checkpoint takes long to complete

        String text = "x".repeat(1000);
        long perUpdate = TransactionalWriter.estimatedBytes(doc("d0", 1, text));
        CompletableFuture<Void> input =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                for (int i = 0; i < 100; i++) {
                                    writer.write(doc("d" + i, 1, text), null);
                                }
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        long largest = 0;
        for (long end = System.nanoTime() + 1_500_000_000L;
                System.nanoTime() < end;
                Thread.sleep(5)) {
            largest = Math.max(largest, metrics.bufferedBytes());
        }
        assertThat(input).as("the input is held back, not buffered").isNotDone();
        assertThat(largest).isGreaterThan(cap - perUpdate).isLessThanOrEqualTo(cap);

        commit(first); // the checkpoint completes at last
        assertThat(input).succeedsWithin(Duration.ofSeconds(20));
        commit(writer.prepareCommit());
        assertThat(documents()).isEqualTo(101);
    }

    /**
     * A checkpoint aborted after the writer prepared (a stop-with-savepoint aborts the one under
     * way): no notification commits its transaction, and the next barrier waits behind the full
     * buffer. The writer commits it itself and goes on; the committer later finds it committed.
     */
    @Test
    void aFullBufferWhoseCheckpointWasAbortedCommitsItsTransactionAndGoesOn() throws Exception {
        TransactionalWriter writer =
                new TransactionalWriter(
                        options.withMaxBufferedBytes(1024),
                        new UnregisteredMetricsGroup(),
                        new SyncMailboxExecutor(),
                        0,
                        List.of(),
                        OptionalLong.empty());
        writers.add(writer);
        writer.abortedCheckpointWait = Duration.ofMillis(500);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> aborted = writer.prepareCommit(); // its checkpoint is aborted
        writer.write(doc("b", 1, "b".repeat(2000)), null); // larger than the cap: waits alone
        long start = System.nanoTime();
        writer.write(doc("c", 1, "c"), null);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(documents()).as("a, committed by the writer").isEqualTo(1);

        commit(writer.prepareCommit()); // the next checkpoint completes
        assertThat(commit(aborted))
                .as("the aborted checkpoint's committable, carried to it")
                .containsExactly("already committed");
        assertThat(documents()).isEqualTo(3);
    }

    @Test
    void aBlackHoledConnectionFailsTheTaskWithinTheSocketTimeout() throws Exception {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", port(TestServices.PG_URL))) {
            PgVectorSinkOptions proxied =
                    options.withUrl(proxy.proxied(TestServices.PG_URL))
                            .withTimeouts(
                                    new PostgresTimeouts(
                                            Duration.ofSeconds(2),
                                            Duration.ofSeconds(2),
                                            Duration.ofSeconds(1),
                                            Duration.ofSeconds(1)));
            TransactionalWriter writer = writer(proxied, 0, List.of(), OptionalLong.empty());
            writer.write(doc("a", 1, "alpha"), null);
            writer.flush(false);

            proxy.blackHole();
            long start = System.nanoTime();
            assertThatThrownBy(writer::prepareCommit).isInstanceOf(IOException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(10));
            proxy.heal();
        }
    }

    @Test
    void aLockHeldElsewhereFailsTheTaskWithinTheLockTimeout() throws Exception {
        PgVectorSinkOptions impatient =
                options.withTimeouts(
                        new PostgresTimeouts(
                                Duration.ofSeconds(5),
                                Duration.ofSeconds(30),
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(20)));
        TransactionalWriter first = writer(0);
        first.write(doc("a", 1, "alpha"), null);
        commit(first.prepareCommit());
        try (Connection holder = TestServices.connect();
                Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("SELECT * FROM " + services.documentsTable + " FOR UPDATE");
            TransactionalWriter writer = writer(impatient, 0, List.of(), OptionalLong.empty());
            writer.write(doc("a", 2, "alpha, edited"), null);
            long start = System.nanoTime();
            assertThatThrownBy(() -> writer.flush(false))
                    .isInstanceOf(IOException.class)
                    .rootCause()
                    .hasMessageContaining("lock timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(10));
            holder.rollback();
        }
    }

    @Test
    void aJobStartingWhileATransactionIsPreparedDoesNotWaitOnItsLocks() throws Exception {
        TransactionalWriter crashed = writer(0);
        crashed.write(doc("a", 1, "alpha"), null);
        crashed.prepareCommit();
        crashed.close(); // the process dies; its transaction holds the tables' locks until a job
        // commits it

        // the restarted job's start-up: CREATE INDEX IF NOT EXISTS alone would wait on those locks
        // for ever
        CompletableFuture<Void> setup =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                options.prepareTables();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        assertThat(setup).succeedsWithin(Duration.ofSeconds(20));
        writer(0);
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void anUpgradeThatAddsAColumnCommitsTheTransactionsItsSinkLeftPrepared() throws Exception {
        dropColumn("content_terms"); // as an older ragstream made the table
        TransactionalWriter crashed = writer(0);
        crashed.write(doc("a", 1, "alpha"), null);
        crashed.prepareCommit();
        crashed.close(); // dies with its transaction prepared, holding the tables' locks

        long start = System.nanoTime();
        options.prepareTables(); // the upgraded job's start: ADD COLUMN needs those locks
        assertThat((System.nanoTime() - start) / 1e9)
                .as("no wait for the lock timeout")
                .isLessThan(PgVectorSchema.LOCK_TIMEOUT_SECONDS / 2.0);
        assertThat(preparedGids()).isEmpty();
        assertThat(versions()).containsExactly("a:1");
        assertThat(
                        TestServices.rows(
                                "SELECT count(*) FROM pg_indexes WHERE indexname = '"
                                        + options.schema().chunksTermsIndex()
                                        + "'"))
                .as("the column and its index")
                .containsExactly("1");
        writer(0); // and the job runs on
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void anotherSinksPreparedTransactionFailsAnUpgradeWithWhatHoldsTheTable() throws Exception {
        dropColumn("content_terms");
        TransactionalWriter other =
                writer(options.withTransactionPrefix("job_a"), 0, List.of(), OptionalLong.empty());
        other.write(doc("a", 1, "alpha"), null);
        other.prepareCommit();

        assertThatThrownBy(options::prepareTables)
                .hasMessageContaining("need a change of schema")
                .hasMessageContaining("job_a:0:")
                .hasMessageContaining("COMMIT PREPARED");
        assertThat(preparedGids(options.withTransactionPrefix("job_a")))
                .as("another sink's transaction is its own to end")
                .hasSize(1);
    }

    private void dropColumn(String column) throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "ALTER TABLE \"" + options.schema().chunksTable() + "\" DROP COLUMN " + column);
        }
    }

    private TransactionalWriter writer(int subtask) throws Exception {
        return writer(subtask, List.of(), OptionalLong.empty());
    }

    private TransactionalWriter writer(
            int subtask, List<TransactionalWriterState> restored, OptionalLong checkpoint)
            throws Exception {
        return writer(options, subtask, restored, checkpoint);
    }

    private TransactionalWriter writer(
            PgVectorSinkOptions sink,
            int subtask,
            List<TransactionalWriterState> restored,
            OptionalLong checkpoint)
            throws Exception {
        TransactionalWriter writer =
                new TransactionalWriter(
                        sink,
                        new UnregisteredMetricsGroup(),
                        new SyncMailboxExecutor(),
                        subtask,
                        restored,
                        checkpoint);
        synchronized (writers) {
            writers.add(writer);
        }
        return writer;
    }

    private static int port(String jdbcUrl) {
        return java.net.URI.create(jdbcUrl.substring("jdbc:".length())).getPort();
    }

    /** Keeps the gauges the writer registers. */
    private static final class GaugeCapture extends UnregisteredMetricsGroup {
        private final java.util.Map<String, Gauge<?>> gauges =
                new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public MetricGroup addGroup(String name) {
            return this;
        }

        @Override
        public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
            gauges.put(name, gauge);
            return gauge;
        }

        long bufferedBytes() {
            return (Long) gauges.get("bufferedBytes").getValue();
        }
    }

    private List<String> commit(Collection<SinkCommittable> transactions) throws Exception {
        return commit(options, transactions);
    }

    private List<String> commit(PgVectorSinkOptions sink, Collection<SinkCommittable> transactions)
            throws Exception {
        List<Outcome> requests = new ArrayList<>();
        for (SinkCommittable t : transactions) {
            requests.add(new Outcome(t, new ArrayList<>()));
        }
        try (SinkCommitter committer = new SinkCommitter(sink, 0)) {
            committer.commit(new ArrayList<>(requests));
        }
        // a request the committer signals nothing about is committed
        return requests.stream()
                .map(r -> r.outcomes().isEmpty() ? "committed" : String.join(", ", r.outcomes()))
                .toList();
    }

    /**
     * Records what the committer said of one request, as Flink's committer operator would act on
     * it.
     */
    private record Outcome(SinkCommittable committable, List<String> outcomes)
            implements Committer.CommitRequest<SinkCommittable> {
        @Override
        public SinkCommittable getCommittable() {
            return committable;
        }

        @Override
        public int getNumberOfRetries() {
            return 0;
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            outcomes.add("failed: " + t);
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            outcomes.add("failed: " + t);
        }

        @Override
        public void retryLater() {
            outcomes.add("retry later");
        }

        @Override
        public void updateAndRetryLater(SinkCommittable c) {
            outcomes.add("retry later");
        }

        @Override
        public void signalAlreadyCommitted() {
            outcomes.add("already committed");
        }
    }

    private static DocumentUpdate doc(String id, long version, String text) {
        return new DocumentUpdate(
                "t",
                id,
                version,
                false,
                "{}",
                List.of(
                        new ChunkRow(
                                0, text, DocumentChunker.sha256(text), new float[] {1, 0, 0})));
    }

    private List<String> preparedGids() throws Exception {
        return preparedGids(options);
    }

    private static List<String> preparedGids(PgVectorSinkOptions sink) throws Exception {
        try (Connection c = TestServices.connect()) {
            return PreparedTransactions.list(c, sink.transactionPrefix());
        }
    }

    private long documents() throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + services.documentsTable)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> versions() throws Exception {
        List<String> versions = new ArrayList<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT doc_id, version FROM "
                                        + services.chunksTable
                                        + " ORDER BY doc_id")) {
            while (rs.next()) {
                versions.add(rs.getString(1) + ":" + rs.getLong(2));
            }
        }
        return versions;
    }
}
