package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code postgres.url} naming a server or role that takes no writes: a read replica (a hot standby
 * streaming from the primary), or a role whose sessions are read-only. The start is refused naming
 * the key and what is wrong; before, it blamed a missing pgvector (the setup's first write is its
 * {@code CREATE EXTENSION}).
 */
class ReadOnlyServersIT {
    private static PrivatePostgres primary;
    private static PrivatePostgres standby;

    private final TestServices services = new TestServices("readonly");

    @BeforeAll
    static void primaryAndStandby() throws Exception {
        primary = PrivatePostgres.start();
        try (Connection c = primary.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE reader LOGIN PASSWORD 'reader'");
            st.execute("GRANT ALL ON SCHEMA public TO reader");
            st.execute("ALTER ROLE reader SET default_transaction_read_only = on");
        }
        standby = primary.standby();
    }

    @AfterAll
    static void stop() throws Exception {
        try (AutoCloseable a = standby;
                AutoCloseable b = primary) {
            // both stopped
        }
    }

    @Test
    void aStandbyIsRefusedNamingTheUrl() {
        RagstreamConfig config = services.config("postgres.url=" + standby.url());
        assertThatThrownBy(() -> PgVectorSink.fromConfig(config, 384))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.url")
                .hasMessageContaining("is a standby server")
                .hasMessageContaining("targetServerType=primary")
                .hasMessageNotContaining("pgvector");
    }

    @Test
    void aReadOnlyRoleIsRefusedNamingTheUrl() {
        RagstreamConfig config =
                services.config(
                        "postgres.url=" + primary.url(),
                        "postgres.user=reader",
                        "postgres.password=reader");
        assertThatThrownBy(() -> PgVectorSink.fromConfig(config, 384))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.url")
                .hasMessageContaining("are read-only (default_transaction_read_only is on");
    }

    @Test
    void thePrimaryTakesTheSink() throws Exception {
        assertThat(PgVectorSink.fromConfig(services.config("postgres.url=" + primary.url()), 384))
                .isNotNull();
    }
}
