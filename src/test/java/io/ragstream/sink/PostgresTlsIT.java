package io.ragstream.sink;

import io.ragstream.quantize.Quantization;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code postgres.url} with {@code sslmode=verify-full}, as against a managed PostgreSQL: a
 * server of the test's own with a certificate signed by a CA made here with openssl. The sink's
 * sessions run over TLS, and a server whose certificate another CA signed is refused.
 */
class PostgresTlsIT {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @Test
    void theSinkConnectsWithVerifyFullAndRefusesAServerItCannotVerify() throws Exception {
        Path certs = Files.createTempDirectory("ragstream-tls");
        try (PrivatePostgres pg = PrivatePostgres.start()) {
            openssl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                    "-days", "2", "-subj", "/CN=ragstream test CA");
            openssl(certs, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                    "-subj", "/CN=localhost");
            Files.writeString(certs.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
            openssl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
            openssl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other-ca.pem",
                    "-days", "2", "-subj", "/CN=another CA");
            // PostgreSQL reads its key only when the server's user owns it and nobody else may read it
            run(certs, "chmod", "600", "server.key");
            if (ROOT) {
                run(certs, "chown", "-R", "postgres", certs.toString());
            }
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("ALTER SYSTEM SET ssl_cert_file = '" + certs.resolve("server.pem") + "'");
                st.execute("ALTER SYSTEM SET ssl_key_file = '" + certs.resolve("server.key") + "'");
                st.execute("ALTER SYSTEM SET ssl = on");
                st.execute("SELECT pg_reload_conf()");
            }

            PgVectorSinkOptions sink = options(pg.url() + "?sslmode=verify-full&sslrootcert=" + certs.resolve("ca.pem"));
            sink.prepareTables();
            try (Connection c = sink.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).as("the session runs over TLS").isTrue();
                assertThat(rs.getString(2)).startsWith("TLSv1.");
            }
            assertThatThrownBy(() -> options(pg.url() + "?sslmode=verify-full&sslrootcert=" + certs.resolve("other-ca.pem"))
                    .connect()).isInstanceOf(SQLException.class);
        } finally {
            run(certs.getParent(), "rm", "-rf", certs.toString());
        }
    }

    private static PgVectorSinkOptions options(String url) {
        return new PgVectorSinkOptions(url, TestServices.PG_USER, TestServices.PG_PASSWORD,
                new PgVectorSchema("tls_documents", "tls_chunks", Quantization.FLOAT16, 3),
                "test-model", SinkMode.EXACTLY_ONCE, 8, true, 16, 64);
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        run(dir, command.toArray(String[]::new));
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
