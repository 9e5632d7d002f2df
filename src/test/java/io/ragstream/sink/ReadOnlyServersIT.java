package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.search.SearchHit;
import io.ragstream.search.Searcher;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code postgres.url} naming a server or role that takes no writes: a read replica (a hot standby
 * streaming from the primary), or a role whose sessions are read-only. The start is refused naming
 * the key and what is wrong; before, it blamed a missing pgvector (the setup's first write is its
 * {@code CREATE EXTENSION}). Searches, which only read, are answered by the replica.
 */
class ReadOnlyServersIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    private static PrivatePostgres primary;
    private static PrivatePostgres standby;

    private final TestServices services = IT.services("readonly");

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

    /** What the job wrote on the primary, searched on its replica: search only reads. */
    @Test
    void thePrimaryTakesTheJobAndItsReplicaAnswersSearches(@TempDir Path dir) throws Exception {
        RagstreamConfig onPrimary = services.config("postgres.url=" + primary.url());
        IT.backfill(onPrimary, List.of(TestServices.testCorpusFile(dir)));
        JsonNode doc = TestServices.testCorpus().get(0);
        String chunks = "SELECT count(*) FROM \"" + services.chunksTable + "\"";
        long written = primary.count(chunks);
        assertThat(written).isPositive();
        await("the replica streamed the rows")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> standby.count(chunks) == written);

        RagstreamConfig onReplica = services.config("postgres.url=" + standby.url());
        try (Searcher searcher =
                new Searcher(
                        PgVectorSinkOptions.from(onReplica, OnnxMiniLmEmbedder.DIMENSION),
                        OnnxMiniLmEmbedder.shared())) {
            for (SearchMode mode : SearchMode.values()) {
                assertThat(searcher.search("acme", doc.get("title").asText(), 3, mode))
                        .as(mode + " search on the replica")
                        .first()
                        .extracting(SearchHit::docId)
                        .isEqualTo(doc.get("id").asText());
            }
        }
    }
}
