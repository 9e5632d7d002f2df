package io.ragstream.sink;

import io.ragstream.config.SinkMode;
import io.ragstream.quantize.Quantization;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code postgres.url} with {@code sslmode=verify-full}, as against a managed PostgreSQL: the local
 * server, whose certificate the CA {@code bin/ragstream services} made signed. The sink's sessions
 * run over TLS, and a client that trusts another CA (made here with openssl) refuses the server.
 */
class PostgresTlsIT {

    @Test
    void theSinkConnectsWithVerifyFullAndRefusesAServerItCannotVerify() throws Exception {
        assertThat(TestServices.TLS_CA)
                .as("the local CA (bin/ragstream services start makes it)")
                .isReadable();
        PgVectorSinkOptions sink =
                options(
                        TestServices.PG_URL
                                + "?sslmode=verify-full&sslrootcert="
                                + TestServices.TLS_CA.toAbsolutePath());
        sink.prepareTables();
        try (Connection c = sink.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("the session runs over TLS").isTrue();
            assertThat(rs.getString(2)).startsWith("TLSv1.");
        } finally {
            try (Connection c = TestServices.connect();
                    Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS tls_chunks, tls_documents");
            }
        }

        Path other = Files.createTempDirectory("ragstream-other-ca");
        try {
            run(
                    other,
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "other.key",
                    "-out",
                    "other-ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=another CA");
            assertThatThrownBy(
                            () ->
                                    options(
                                                    TestServices.PG_URL
                                                            + "?sslmode=verify-full&sslrootcert="
                                                            + other.resolve("other-ca.pem"))
                                            .connect())
                    .isInstanceOf(SQLException.class)
                    .hasStackTraceContaining("PKIX");
        } finally {
            run(other.getParent(), "rm", "-rf", other.toString());
        }
    }

    private static PgVectorSinkOptions options(String url) {
        return new PgVectorSinkOptions(
                url,
                TestServices.PG_USER,
                TestServices.PG_PASSWORD,
                new PgVectorSchema("tls_documents", "tls_chunks", Quantization.FLOAT16, 3),
                "test-model",
                SinkMode.EXACTLY_ONCE,
                8,
                true,
                16,
                64);
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
