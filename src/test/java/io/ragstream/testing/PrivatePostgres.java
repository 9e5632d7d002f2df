package io.ragstream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of one test's own (initdb in a temporary folder, a free port, pgvector), so
 * the test can restart it without disturbing anything else. Built from the same Debian packages
 * {@code bin/ragstream setup} installs; stopped by its data folder, never by name.
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static final Path BIN =
            Path.of(System.getProperty("ragstream.it.pg.bin", "/usr/lib/postgresql/15/bin"));

    private final Path dir;
    private final Path data;
    private final int port;

    private PrivatePostgres(Path dir, int port) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
    }

    public static PrivatePostgres start() throws Exception {
        return start(Map.of());
    }

    /** A server with these settings of {@code postgresql.conf} on top of the defaults above. */
    public static PrivatePostgres start(Map<String, String> settings) throws Exception {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("max_prepared_transactions", "64");
        conf.put("shared_buffers", "128MB");
        conf.putAll(settings);
        Path dir = Files.createTempDirectory("ragstream-pg");
        PrivatePostgres pg = new PrivatePostgres(dir, Ports.freePort());
        if (ROOT) {
            pg.run(List.of("chown", "postgres", dir.toString()));
        }
        pg.asPostgres(
                BIN.resolve("initdb").toString(),
                "-D",
                pg.data.toString(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8");
        pg.asPostgres(
                "sh",
                "-c",
                "cat >> '"
                        + pg.data.resolve("postgresql.conf")
                        + "' <<'CONF'\n"
                        + "listen_addresses = '127.0.0.1'\nport = "
                        + pg.port
                        + "\nunix_socket_directories = '"
                        + dir
                        + "'\n"
                        + conf.entrySet().stream()
                                .map(e -> e.getKey() + " = " + e.getValue() + "\n")
                                .collect(Collectors.joining())
                        + "CONF\n");
        pg.pgCtl("start", "-l", dir.resolve("postgres.log").toString());
        try (Connection c =
                        DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres",
                                "postgres",
                                "");
                Statement st = c.createStatement()) {
            st.execute(
                    "CREATE ROLE "
                            + TestServices.PG_USER
                            + " LOGIN SUPERUSER PASSWORD '"
                            + TestServices.PG_PASSWORD
                            + "'");
            st.execute("CREATE DATABASE ragstream OWNER " + TestServices.PG_USER);
        }
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION vector");
        }
        return pg;
    }

    /**
     * A hot standby of this server (pg_basebackup, streaming replication): it answers reads and
     * refuses every write, as a read replica, or a primary demoted by a failover, does.
     */
    public PrivatePostgres standby() throws Exception {
        Path dir = Files.createTempDirectory("ragstream-pg-standby");
        PrivatePostgres standby = new PrivatePostgres(dir, Ports.freePort());
        if (ROOT) {
            run(List.of("chown", "postgres", dir.toString()));
        }
        standby.asPostgres(
                BIN.resolve("pg_basebackup").toString(),
                "-D",
                standby.data.toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(port),
                "-U",
                "postgres",
                "-R",
                "--checkpoint=fast");
        standby.asPostgres(
                "sh",
                "-c",
                "printf 'port = %s\\nunix_socket_directories = '\\''%s'\\''\\n' "
                        + standby.port
                        + " '"
                        + dir
                        + "' >> '"
                        + standby.data.resolve("postgresql.conf")
                        + "'");
        standby.pgCtl("start", "-l", dir.resolve("postgres.log").toString());
        return standby;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/ragstream";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), TestServices.PG_USER, TestServices.PG_PASSWORD);
    }

    /** The one number {@code sql} answers, e.g. a {@code count(*)}. */
    public long count(String sql) throws SQLException {
        try (Connection c = connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Stops it as a crash would (no shutdown checkpoint, every session cut) and starts it again.
     */
    public void crashAndRestart() throws Exception {
        pgCtl("restart", "-m", "immediate", "-l", dir.resolve("postgres.log").toString());
    }

    @Override
    public void close() throws Exception {
        try {
            pgCtl("stop", "-m", "immediate");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void pgCtl(String... args) throws Exception {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                BIN.resolve("pg_ctl").toString(),
                                "-D",
                                data.toString(),
                                "-w",
                                "-t",
                                "60"));
        command.addAll(List.of(args));
        asPostgres(command.toArray(String[]::new));
    }

    /** PostgreSQL refuses to run as root: as root, its commands run as the postgres user. */
    private void asPostgres(String... command) throws Exception {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        run(full);
    }

    private void run(List<String> full) throws Exception {
        Process p =
                new ProcessBuilder(full)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("commands.log").toFile())
                        .start();
        if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(
                    String.join(" ", full)
                            + " failed: "
                            + Files.readString(dir.resolve("commands.log")));
        }
    }
}
