package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exactly-once sink's start against a server that allows two prepared transactions at once: a
 * sink of three subtasks holds three at a checkpoint taken under load, which would fail the job at
 * every such checkpoint; it is refused before the job runs, naming the setting.
 */
class PreparedTransactionSlotsIT {
    private static PrivatePostgres pg;

    private final TestServices services = new TestServices("preparedslots");

    @BeforeAll
    static void serverAllowingTwo() throws Exception {
        pg = PrivatePostgres.start(Map.of("max_prepared_transactions", "2"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void moreSinkSubtasksThanPreparedTransactionsIsRefusedNamingTheParallelism() throws Exception {
        assertThatThrownBy(() -> PgVectorSink.fromConfig(config("3"), 384))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("job.parallelism")
                .hasMessageContaining("max_prepared_transactions is 2")
                .hasMessageContaining("at least 3");

        assertThat(PgVectorSink.fromConfig(config("2"), 384)).isNotNull();
        assertThat(PgVectorSink.fromConfig(config("3").with("sink.mode", "idempotent"), 384))
                .as("the idempotent sink prepares nothing")
                .isNotNull();
    }

    private RagstreamConfig config(String parallelism) {
        return services.config(
                "postgres.url=" + pg.url(),
                "sink.mode=exactly-once",
                "job.parallelism=" + parallelism);
    }
}
