package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.search.Searcher;
import io.ragstream.testing.CapturedLogs;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * pgvector's version against real servers: the local services run a safe one (setup builds 0.8.6,
 * services start updates the extension); a database whose extension is still at 0.8.0 is refused by
 * the sink's start, accepted with postgres.allow-unsafe-pgvector, and moved to the installed
 * version by the scripts' own update step (bin/lib/services.sh pg_update_pgvector). The old
 * database lives in a private server, so the update step touches no one else's.
 */
class PgVectorVersionIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String OLD_DB = "pgvector_080";
    private static PrivatePostgres pg;
    private static String oldUrl;

    /** How the 0.8.0 extension was made, for the failure messages. */
    private static String oldHow;

    private final TestServices services = new TestServices("pgvectorversion");

    @BeforeAll
    static void databaseWithPgvector080() throws Exception {
        pg = PrivatePostgres.start();
        oldUrl = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + OLD_DB;
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + OLD_DB);
        }
        try (Connection c = connect(oldUrl);
                Statement st = c.createStatement()) {
            if (exists(
                    st,
                    "SELECT 1 FROM pg_available_extension_versions"
                            + " WHERE name = 'vector' AND version = '0.8.0'")) {
                // 0.8.0's install script is still there (a machine that had Debian's 0.8.0 before)
                st.execute("CREATE EXTENSION vector VERSION '0.8.0'");
                oldHow = "CREATE EXTENSION vector VERSION '0.8.0'";
            } else {
                // A fresh install ships only the newest install script. The update scripts from
                // 0.8.0 to 0.8.6 hold no SQL, so 0.8.0's objects are 0.8.6's and only the version
                // recorded in the catalog differs: recording 0.8.0 makes exactly what 0.8.0 left.
                st.execute("CREATE EXTENSION vector");
                assertThat(extversion(st))
                        .as("the installed pgvector, whose update scripts the stamp relies on")
                        .isEqualTo("0.8.6");
                st.execute("UPDATE pg_extension SET extversion = '0.8.0' WHERE extname = 'vector'");
                oldHow = "CREATE EXTENSION vector, stamped 0.8.0";
            }
            assertThat(extversion(st)).isEqualTo("0.8.0");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void theServicesDatabaseRunsASafePgvectorAndTheNewestInstalled() throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            String version = extversion(st);
            String installed =
                    single(
                            st,
                            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
            assertThat(PgVectorExtension.isSafe(version))
                    .as("extversion %s is at least 0.8.4", version)
                    .isTrue();
            assertThat(version)
                    .as("services start updated the extension to the installed files")
                    .isEqualTo(installed);
            assertThat(PgVectorExtension.compare(installed, "0.8.6"))
                    .as("setup installs 0.8.6, have %s", installed)
                    .isGreaterThanOrEqualTo(0);
        }
        // the tests' private servers create the extension afresh, at the installed version
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            assertThat(extversion(st))
                    .isEqualTo(
                            single(
                                    st,
                                    "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"));
        }
    }

    @Test
    void anExtensionTheRoleMayNotCreateFailsTheStartWithWhatToDo() throws Exception {
        String db = "no_btree_gin";
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
            st.execute("CREATE ROLE plain LOGIN PASSWORD 'plain'");
        }
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + db;
        try (Connection c = connect(url);
                Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION vector"); // pgvector there, btree_gin not
            st.execute("REVOKE CREATE ON DATABASE " + db + " FROM PUBLIC");
            st.execute("GRANT CREATE ON SCHEMA public TO plain");
        }
        PgVectorSinkOptions plain =
                PgVectorSinkOptions.from(
                        services.config(
                                "postgres.url=" + url,
                                "postgres.user=plain",
                                "postgres.password=plain"),
                        3);
        assertThatThrownBy(plain::prepareTables)
                .isInstanceOf(SQLException.class)
                .hasMessageStartingWith("the tables need PostgreSQL's extension btree_gin")
                .hasMessageContaining("permission denied")
                .hasMessageContaining("CREATE EXTENSION btree_gin in this database");
    }

    @Test
    void anOldExtensionIsRefusedByTheSinkAcceptedWithTheOptionAndMovedByTheUpdateStep()
            throws Exception {
        assertThatThrownBy(
                        () ->
                                PgVectorSinkOptions.from(
                                                services.config("postgres.url=" + oldUrl), 3)
                                        .prepareTables())
                .as("made by %s", oldHow)
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                        "config key 'postgres.allow-unsafe-pgvector': pgvector 0.8.0 in " + oldUrl)
                .hasMessageContaining("CVE-2026-3172")
                .hasMessageContaining("ALTER EXTENSION vector UPDATE");
        assertThat(tableExists(services.chunksTable)).as("refused before any DDL").isFalse();

        PgVectorSinkOptions unsafe =
                PgVectorSinkOptions.from(
                        services.config(
                                "postgres.url=" + oldUrl, "postgres.allow-unsafe-pgvector=true"),
                        3);
        List<LogEvent> warnings =
                CapturedLogs.warnings(PgVectorExtension.class, unsafe::prepareTables);
        assertThat(warnings)
                .singleElement()
                .extracting(e -> e.getMessage().getFormattedMessage())
                .asString()
                .startsWith("pgvector 0.8.0 in " + oldUrl)
                .contains("so the job starts anyway");
        assertThat(tableExists(services.chunksTable)).isTrue();

        // search runs on it, and says why it should not
        try (Searcher searcher = new Searcher(unsafe, null)) {
            warnings =
                    CapturedLogs.warnings(
                            PgVectorExtension.class,
                            () ->
                                    assertThat(searcher.search("default", new float[] {1, 0, 0}, 3))
                                            .isEmpty());
        }
        assertThat(warnings)
                .singleElement()
                .extracting(e -> e.getMessage().getFormattedMessage())
                .asString()
                .startsWith("pgvector 0.8.0 in " + oldUrl)
                .contains("ALTER EXTENSION vector UPDATE");

        String output = updateStep();
        try (Connection c = connect(oldUrl);
                Statement st = c.createStatement()) {
            String installed =
                    single(
                            st,
                            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'");
            assertThat(extversion(st)).as("after the update step: %s", output).isEqualTo(installed);
            assertThat(PgVectorExtension.compare(installed, "0.8.6")).isGreaterThanOrEqualTo(0);
            assertThat(output)
                    .contains("pgvector 0.8.0 -> " + installed + " in database " + OLD_DB)
                    .doesNotContain(
                            "database ragstream"); // it was at the installed version already
        }
        assertThat(
                        CapturedLogs.warnings(
                                PgVectorExtension.class,
                                () ->
                                        PgVectorSinkOptions.from(
                                                        services.config("postgres.url=" + oldUrl),
                                                        3)
                                                .prepareTables()))
                .isEmpty();
    }

    /** The scripts' own step, run against the private server only. */
    private static String updateStep() throws IOException, InterruptedException {
        ProcessBuilder builder =
                new ProcessBuilder(
                                "bash",
                                "-c",
                                "set -euo pipefail; source bin/lib/common.sh; source bin/lib/services.sh; pg_update_pgvector "
                                        + pg.port())
                        .directory(ROOT.toFile())
                        .redirectErrorStream(true);
        builder.environment().put("RAGSTREAM_ROOT", ROOT.toString());
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return output;
    }

    private boolean tableExists(String table) throws SQLException {
        try (Connection c = connect(oldUrl);
                Statement st = c.createStatement()) {
            return exists(st, "SELECT 1 FROM pg_class WHERE relname = '" + table + "'");
        }
    }

    private static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, TestServices.PG_USER, TestServices.PG_PASSWORD);
    }

    private static String extversion(Statement st) throws SQLException {
        return single(st, "SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    }

    private static boolean exists(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next();
        }
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }
}
