package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.quantize.Quantization;
import io.ragstream.testing.TestServices;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.mailbox.SyncMailboxExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exactly-once writer and committer against the real PostgreSQL: writes stay invisible until
 * the committer commits, the writer never writes while its previous transaction is still
 * prepared, and a restarted writer finishes what its predecessors left prepared.
 */
class TransactionalWriterIT {
    private final TestServices services = new TestServices("txwriter");
    private PgVectorSinkOptions options;
    private final List<TransactionalWriter> writers = new ArrayList<>();

    @BeforeEach
    void createTables() throws Exception {
        PgVectorSchema schema = new PgVectorSchema(services.documentsTable, services.chunksTable, Quantization.FLOAT16, 3);
        options = new PgVectorSinkOptions(TestServices.PG_URL, TestServices.PG_USER, TestServices.PG_PASSWORD, schema,
                "test-model", SinkMode.EXACTLY_ONCE, 2, true, 16, 64);
        options.prepareTables();
    }

    @AfterEach
    void cleanUp() throws Exception {
        writers.forEach(TransactionalWriter::close);
        try (Connection c = TestServices.connect()) {
            for (String gid : PreparedTransactions.list(c, services.chunksTable)) {
                PreparedTransactions.rollback(c, gid);
            }
        }
        services.dropTables();
    }

    @Test
    void writesBecomeVisibleOnlyWhenTheCommitterCommits() throws Exception {
        TransactionalWriter writer = writer(0, List.of(), false);
        writer.write(doc("a", 1, "alpha"), null);
        writer.write(doc("b", 1, "beta"), null); // a full batch: written, not visible
        writer.flush(false);
        assertThat(documents()).isZero();

        writer.write(doc("a", 0, "a stale draft"), null); // older than what the transaction holds
        Collection<SinkCommittable> prepared = writer.prepareCommit();
        assertThat(prepared).hasSize(1);
        assertThat(prepared.iterator().next().documents()).as("what the status topic will announce, stale excluded")
                .containsExactly(new DocumentStatus("t", "a", 1, false, 1, 1, 0), new DocumentStatus("t", "b", 1, false, 1, 1, 0));
        assertThat(preparedGids()).containsExactly(prepared.iterator().next().preparedTransaction());
        assertThat(documents()).isZero();

        List<String> outcomes = commit(prepared);
        assertThat(outcomes).containsExactly("committed");
        assertThat(documents()).isEqualTo(2);
        assertThat(preparedGids()).isEmpty();

        assertThat(commit(prepared)).as("a commit replayed after a restore").containsExactly("already committed");
        assertThat(writer.prepareCommit()).as("nothing written since").isEmpty();
    }

    @Test
    void keepsUpdatesWhileItsPreviousTransactionIsStillPrepared() throws Exception {
        TransactionalWriter writer = writer(0, List.of(), false);
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
        TransactionalWriter writer = writer(0, List.of(), false);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first = writer.prepareCommit();
        writer.write(doc("a", 2, "alpha, edited"), null);

        // the checkpoint-complete notification arrives while the end of input waits
        CompletableFuture<List<String>> committer = CompletableFuture.supplyAsync(() -> {
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
        TransactionalWriter writer = writer(0, List.of(), false);
        writer.endOfInputCommitWait = Duration.ofMillis(300);
        writer.write(doc("a", 1, "alpha"), null);
        Collection<SinkCommittable> first = writer.prepareCommit(); // its checkpoint fails
        writer.write(doc("b", 1, "beta"), null);

        writer.flush(true);
        Collection<SinkCommittable> last = writer.prepareCommit();
        assertThat(commit(first)).as("the committer, at the final checkpoint").containsExactly("already committed");
        commit(last);
        assertThat(versions()).containsExactly("a:1", "b:1");
        assertThat(preparedGids()).isEmpty();
    }

    @Test
    void aRestoredWriterRollsBackWhatWasPreparedAfterItsCheckpoint() throws Exception {
        TransactionalWriter crashed = writer(0, List.of(), false);
        crashed.write(doc("a", 1, "alpha"), null);
        String checkpointed = crashed.prepareCommit().iterator().next().preparedTransaction();
        TransactionalWriterState state = crashed.snapshotState(1).get(0);
        commit(List.of(new SinkCommittable(checkpointed, List.of())));
        crashed.write(doc("b", 1, "beta"), null);
        String afterCheckpoint = crashed.prepareCommit().iterator().next().preparedTransaction();
        crashed.close(); // the process dies before checkpoint 2 completes

        TransactionalWriter otherSubtask = writer(1, List.of(), false);
        otherSubtask.write(doc("c", 1, "gamma"), null);
        String othersGid = otherSubtask.prepareCommit().iterator().next().preparedTransaction();

        writer(0, List.of(state), true);
        assertThat(preparedGids()).as("subtask 0's later transaction is rolled back, subtask 1's is not its to touch")
                .containsExactly(othersGid).doesNotContain(afterCheckpoint);
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void aFreshStartCommitsWhatEarlierRunsLeftPrepared() throws Exception {
        TransactionalWriter earlier = writer(1, List.of(), false);
        earlier.write(doc("a", 1, "alpha"), null);
        earlier.prepareCommit();
        earlier.close();

        writer(1, List.of(), false);
        assertThat(preparedGids()).as("only subtask 0 finishes leftovers").hasSize(1);
        writer(0, List.of(), false);
        assertThat(preparedGids()).isEmpty();
        assertThat(versions()).containsExactly("a:1");
    }

    @Test
    void aJobStartingWhileATransactionIsPreparedDoesNotWaitOnItsLocks() throws Exception {
        TransactionalWriter crashed = writer(0, List.of(), false);
        crashed.write(doc("a", 1, "alpha"), null);
        crashed.prepareCommit();
        crashed.close(); // the process dies; its transaction holds the tables' locks until a job commits it

        // the restarted job's start-up: CREATE INDEX IF NOT EXISTS alone would wait on those locks for ever
        CompletableFuture<Void> setup = CompletableFuture.runAsync(() -> {
            try {
                options.prepareTables();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(setup).succeedsWithin(Duration.ofSeconds(20));
        writer(0, List.of(), false);
        assertThat(versions()).containsExactly("a:1");
    }

    private TransactionalWriter writer(int subtask, List<TransactionalWriterState> restored, boolean isRestore) throws Exception {
        TransactionalWriter writer = new TransactionalWriter(options, new UnregisteredMetricsGroup(), new SyncMailboxExecutor(),
                subtask, restored, isRestore);
        writers.add(writer);
        return writer;
    }

    private List<String> commit(Collection<SinkCommittable> transactions) throws Exception {
        List<Outcome> requests = new ArrayList<>();
        for (SinkCommittable t : transactions) {
            requests.add(new Outcome(t, new ArrayList<>()));
        }
        try (SinkCommitter committer = new SinkCommitter(options)) {
            committer.commit(new ArrayList<>(requests));
        }
        // a request the committer signals nothing about is committed
        return requests.stream().map(r -> r.outcomes().isEmpty() ? "committed" : String.join(", ", r.outcomes())).toList();
    }

    /** Records what the committer said of one request, as Flink's committer operator would act on it. */
    private record Outcome(SinkCommittable committable, List<String> outcomes) implements Committer.CommitRequest<SinkCommittable> {
        @Override public SinkCommittable getCommittable() { return committable; }
        @Override public int getNumberOfRetries() { return 0; }
        @Override public void signalFailedWithKnownReason(Throwable t) { outcomes.add("failed: " + t); }
        @Override public void signalFailedWithUnknownReason(Throwable t) { outcomes.add("failed: " + t); }
        @Override public void retryLater() { outcomes.add("retry later"); }
        @Override public void updateAndRetryLater(SinkCommittable c) { outcomes.add("retry later"); }
        @Override public void signalAlreadyCommitted() { outcomes.add("already committed"); }
    }

    private static DocumentUpdate doc(String id, long version, String text) {
        return new DocumentUpdate("t", id, version, false, "{}",
                List.of(new ChunkRow(0, text, DocumentChunker.sha256(text), new float[] {1, 0, 0})));
    }

    private List<String> preparedGids() throws Exception {
        try (Connection c = TestServices.connect()) {
            return PreparedTransactions.list(c, services.chunksTable);
        }
    }

    private long documents() throws Exception {
        try (Connection c = TestServices.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM " + services.documentsTable)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> versions() throws Exception {
        List<String> versions = new ArrayList<>();
        try (Connection c = TestServices.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT doc_id, version FROM " + services.chunksTable + " ORDER BY doc_id")) {
            while (rs.next()) {
                versions.add(rs.getString(1) + ":" + rs.getLong(2));
            }
        }
        return versions;
    }
}
