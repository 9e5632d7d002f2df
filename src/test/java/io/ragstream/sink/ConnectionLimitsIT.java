package io.ragstream.sink;

import io.ragstream.config.ConfigException;
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
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A role whose {@code CONNECTION LIMIT} is below the sessions the sink holds: the task that opened
 * one too many failed, and failed again after every restart. The start refuses it, naming the
 * parallelism; at exactly the sessions it names, the job runs and stores without a restart, so the
 * count is not too low.
 */
class ConnectionLimitsIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private static PrivatePostgres pg;

    @BeforeAll
    static void roleOfThreeSessions() throws Exception {
        pg = PrivatePostgres.start();
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            // not a superuser: those have no connection limit
            st.execute("CREATE ROLE limited LOGIN PASSWORD 'limited' CONNECTION LIMIT 3");
            st.execute("GRANT ALL ON SCHEMA public TO limited");
            st.execute("CREATE EXTENSION btree_gin"); // by a role that may, as on a managed server
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void moreSessionsThanTheRoleMayOpenAreRefusedNamingTheParallelism() {
        TestServices services = IT.services("connlimitrefused");
        assertThatThrownBy(() -> PgVectorSink.fromConfig(config(services, "2"), 384))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("job.parallelism")
                .hasMessageContaining("5 sessions at most")
                .hasMessageContaining("role limited may open 3");
    }

    @Test
    void theSessionsItNamesAreEnough() throws Exception {
        TestServices services = IT.services("connlimitenough");
        RunningJob job = IT.start(config(services, "1")); // 3 sessions
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = 0; i < 50; i++) {
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        "acme/d" + i,
                        TestServices.document(
                                "acme", "d" + i, null, "Document " + i + " of a small role."));
            }
        }
        await("every document")
                .atMost(Duration.ofSeconds(90))
                .ignoreExceptions() // until the job made the table
                .until(
                        () ->
                                pg.count("SELECT count(*) FROM \"" + services.documentsTable + "\"")
                                        == 50);
        job.assertNoTaskRestarted();
    }

    private static RagstreamConfig config(TestServices services, String parallelism) {
        return services.config(
                "postgres.url=" + pg.url(),
                "postgres.user=limited",
                "postgres.password=limited",
                "sink.mode=exactly-once",
                "job.parallelism=" + parallelism);
    }
}
