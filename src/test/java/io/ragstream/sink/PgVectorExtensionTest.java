package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.testing.CapturedLogs;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which pgvector versions the sink accepts, and what it says about the others. */
class PgVectorExtensionTest {
    private static final String URL =
            "jdbc:postgresql://db:5432/rag?password=hunter2&sslmode=require";

    @Test
    void comparesVersionsNumericallyPerComponent() {
        assertThat(PgVectorExtension.compare("0.8.10", "0.8.4")).isPositive();
        assertThat(PgVectorExtension.compare("0.8.4", "0.8.10")).isNegative();
        assertThat(PgVectorExtension.compare("0.10.0", "0.9.9")).isPositive();
        assertThat(PgVectorExtension.compare("1.0", "0.8.4")).isPositive();
        assertThat(PgVectorExtension.compare("0.8", "0.8.0")).isZero();
        assertThat(PgVectorExtension.compare("0.8.4", "0.8.4")).isZero();
    }

    @Test
    void toleratesSuffixes() {
        assertThat(PgVectorExtension.compare("0.8.4-dev", "0.8.4")).isZero();
        assertThat(PgVectorExtension.compare("0.8.6rc1", "0.8.4")).isPositive();
        assertThat(PgVectorExtension.compare(" 0.8.3 ", "0.8.4")).isNegative();
        assertThat(PgVectorExtension.isSafe("0.8.3+deb1")).isFalse();
        assertThat(PgVectorExtension.isSafe("unknown")).isFalse();
    }

    @Test
    void safeFromTheReleaseWithTheLastHnswVacuumFix() {
        assertThat(PgVectorExtension.isSafe("0.8.0")).isFalse();
        assertThat(PgVectorExtension.isSafe("0.8.3")).isFalse();
        assertThat(PgVectorExtension.isSafe("0.8.4")).isTrue();
        assertThat(PgVectorExtension.isSafe("0.8.6")).isTrue();
        assertThat(PgVectorExtension.isSafe("0.8.10")).isTrue();
        assertThat(PgVectorExtension.isSafe("0.9.0")).isTrue();
    }

    @Test
    void refusesAnUnsafeVersionNamingTheReasonsTheFixAndTheOption() {
        assertThatThrownBy(() -> PgVectorExtension.checkForSink("0.8.0", "0.8.0", URL, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(
                        "config key 'postgres.allow-unsafe-pgvector': pgvector 0.8.0 in "
                                + "jdbc:postgresql://db:5432/rag is older than 0.8.4")
                .hasMessageContaining("CVE-2026-3172")
                .hasMessageContaining("0.8.3 possible HNSW index corruption when vacuuming")
                .hasMessageContaining("'hnsw graph not repaired'")
                .hasMessageContaining("bin/ragstream setup")
                .hasMessageContaining("postgresql-NN-pgvector")
                .hasMessageContaining("pgvector/pgvector:0.8.6-pg17")
                .hasMessageContaining("ALTER EXTENSION vector UPDATE")
                .hasMessageEndingWith("or set postgres.allow-unsafe-pgvector: true to start anyway")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void whenTheServerHasASafeVersionInstalledTheFixIsTheUpdateAlone() {
        assertThatThrownBy(() -> PgVectorExtension.checkForSink("0.8.0", "0.8.6", URL, false))
                .hasMessageContaining(
                        "the server has pgvector 0.8.6 installed, so ALTER EXTENSION vector UPDATE "
                                + "in this database is enough");
    }

    @Test
    void withTheOptionOnItOnlyWarns() throws Exception {
        List<LogEvent> events =
                captured(() -> PgVectorExtension.checkForSink("0.8.3", "0.8.3", URL, true));
        assertThat(events)
                .singleElement()
                .satisfies(
                        e -> {
                            assertThat(e.getLevel()).isEqualTo(Level.WARN);
                            assertThat(e.getMessage().getFormattedMessage())
                                    .startsWith(
                                            "pgvector 0.8.3 in jdbc:postgresql://db:5432/rag is older than 0.8.4")
                                    .contains("CVE-2026-3172")
                                    .endsWith(
                                            "(postgres.allow-unsafe-pgvector is true, so the job starts anyway)")
                                    .doesNotContain("hunter2");
                        });
    }

    @Test
    void acceptsSafeVersionsAndAnAbsentExtensionSilently() throws Exception {
        assertThat(
                        captured(
                                () -> {
                                    PgVectorExtension.checkForSink("0.8.4", "0.8.6", URL, false);
                                    PgVectorExtension.checkForSink("0.8.6", "0.8.6", URL, false);
                                    PgVectorExtension.checkForSink(null, null, URL, false);
                                }))
                .isEmpty();
    }

    private static List<LogEvent> captured(CapturedLogs.Action action) throws Exception {
        return CapturedLogs.warnings(PgVectorExtension.class, action);
    }
}
