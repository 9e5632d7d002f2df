package io.ragstream.sink;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server whose DBA set defaults the job's sessions must not follow ({@link
 * io.ragstream.config.JobSessions}):
 *
 * <ul>
 *   <li>{@code idle_in_transaction_session_timeout} of a second. The exactly-once sink's
 *       transaction is open from its first batch to the next checkpoint, idle whenever no input
 *       comes; ended by the server, it failed its {@code PREPARE}, the job restarted, wrote the
 *       replayed batch and idled again, and sometimes the documents never arrived. A backfill's
 *       cursor idles the same way while the rest of the job holds the source back.
 *   <li>{@code default_transaction_isolation} serializable: two sink subtasks failed each other's
 *       transactions with "could not serialize access", and the job restarted.
 *   <li>{@code statement_timeout} of a second for the database: it cancelled the HNSW builds after
 *       a backfill's load.
 * </ul>
 */
class ServerDefaultsIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private static PrivatePostgres pg;

    @BeforeAll
    static void serverOfStrictDefaults() throws Exception {
        pg =
                PrivatePostgres.start(
                        Map.of(
                                "idle_in_transaction_session_timeout",
                                "'1s'",
                                "default_transaction_isolation",
                                "'serializable'"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aBatchWrittenBeforeAQuietSpellIsCommittedAtTheCheckpoint() throws Exception {
        TestServices services = IT.services("servertimeouts");
        RunningJob job =
                IT.start(
                        services.config(
                                "postgres.url=" + pg.url(),
                                "sink.mode=exactly-once",
                                "sink.batch-size=2",
                                "checkpoint.interval=6s"));
        // right after a checkpoint, so that the batch's transaction idles about 5 s before the next
        await("the first checkpoint")
                .ignoreExceptions()
                .atMost(Duration.ofSeconds(60))
                .until(() -> completedCheckpoints(job) >= 1);
        long completed = completedCheckpoints(job);
        await("the next checkpoint").until(() -> completedCheckpoints(job) > completed);
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (String id : new String[] {"a", "b"}) {
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        "acme/" + id,
                        TestServices.document(
                                "acme", id, null, "Document " + id + " of a quiet afternoon."));
            }
        }
        await("both documents committed")
                .atMost(Duration.ofSeconds(90))
                .ignoreExceptions() // until the job made the table
                .until(
                        () ->
                                pg.count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\" WHERE NOT deleted")
                                        == 2);

        job.assertNoTaskRestarted();
    }

    @Test
    void twoSinkSubtasksWriteUnderASerializableDefaultWithoutFailing() throws Exception {
        TestServices services = IT.services("serverserializable");
        services.createTopics(4, services.documentsTopic);
        RunningJob job =
                IT.start(
                        services.config(
                                "postgres.url=" + pg.url(),
                                "sink.mode=exactly-once",
                                "job.parallelism=2",
                                "sink.batch-size=8"));
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 300; i++) {
                    TestServices.send(
                            producer,
                            services.documentsTopic,
                            "acme/d" + i,
                            TestServices.document(
                                    "acme",
                                    "d" + i,
                                    null,
                                    "Round " + round + " of document " + i + "."));
                }
            }
        }
        await("every document's last round")
                .atMost(Duration.ofSeconds(120))
                .ignoreExceptions()
                .until(
                        () ->
                                pg.count(
                                                "SELECT count(*) FROM \""
                                                        + services.chunksTable
                                                        + "\" WHERE content LIKE 'Round 2 %'")
                                        == 300);
        job.assertNoTaskRestarted();
    }

    /**
     * Whether a backfill's cursor idles past the timeout depends on how much the network buffers
     * hold; what its session says of the timeout does not. The table read is a view whose text is
     * that setting, as the reading session sees it.
     */
    @Test
    void aBackfillReadsInASessionWithoutTheTimeout() throws Exception {
        TestServices services = IT.services("servertimeoutsbackfill");
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "CREATE VIEW session_settings AS SELECT g::bigint AS id,"
                            + " 'The reading session ends idle transactions after '"
                            + " || current_setting('idle_in_transaction_session_timeout')"
                            + " || ', isolation ' || current_setting('transaction_isolation') AS text"
                            + " FROM generate_series(1, 3) g");
        }
        IT.backfillTable(services.config("postgres.url=" + pg.url()), "session_settings");

        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT DISTINCT content FROM \"" + services.chunksTable + "\"")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1))
                    .isEqualTo(
                            "The reading session ends idle transactions after 0, isolation read committed");
            assertThat(rs.next()).as("one setting for every row").isFalse();
        }
    }

    /**
     * A backfill builds the HNSW indexes after its load, over every row at once; a {@code
     * statement_timeout} a DBA set for the database cancelled the build, at the end of the load and
     * at every start after it.
     */
    @Test
    void theIndexesAfterALoadAreBuiltPastTheDatabasesStatementTimeout() throws Exception {
        TestServices services = IT.services("servertimeoutsindex");
        RagstreamConfig config = services.config("postgres.url=" + pg.url());
        PgVectorSinkOptions options = PgVectorSinkOptions.from(config, 384);
        assertThat(options.prepareTablesForLoad(1)).as("the indexes deferred").isTrue();
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = 0");
            // 10,000 chunks take several seconds to index (the words' HNSW index most)
            st.execute(
                    "INSERT INTO \""
                            + services.chunksTable
                            + "\" (tenant, doc_id, chunk_no, version, content, content_sha256,"
                            + " model, embedding)"
                            + " SELECT 'acme', 'd' || g, 0, 1,"
                            + " 'chunk ' || g || ' of words ' || md5(g::text) || ' ' || md5((g * 7)::text),"
                            + " sha256(g::text::bytea), 'm',"
                            + " (SELECT array_agg(random()::real) FROM generate_series(1, 384) WHERE g > 0)::vector"
                            + " FROM generate_series(1, 10000) g");
            st.execute("ALTER DATABASE ragstream SET statement_timeout = '1s'");
        }
        try {
            PgVectorSink.finishLoad(config, 384);
        } finally {
            try (Connection c = pg.connect();
                    Statement st = c.createStatement()) {
                st.execute("ALTER DATABASE ragstream RESET statement_timeout");
            }
        }
        assertThat(
                        pg.count(
                                "SELECT count(*) FROM pg_indexes WHERE tablename = '"
                                        + services.chunksTable
                                        + "' AND indexdef LIKE '%hnsw%'"))
                .as("the vectors' and the words' HNSW indexes")
                .isEqualTo(2);
    }

    private static long completedCheckpoints(RunningJob job) throws Exception {
        return job.restJson("/checkpoints").path("counts").path("completed").asLong();
    }
}
