package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.JobSessions;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * How long a PostgreSQL connection may take to open, to answer, and, on the sink's sessions, to
 * wait for a lock or run a statement: a stuck database or a half-open connection then fails the
 * task, which Flink recovers, instead of hanging it with no error.
 */
public record PostgresTimeouts(Duration connect, Duration socket, Duration lock, Duration statement)
        implements Serializable {
    public static final PostgresTimeouts DEFAULTS =
            new PostgresTimeouts(
                    RagstreamOptions.POSTGRES_CONNECT_TIMEOUT.defaultValue(),
                            RagstreamOptions.POSTGRES_SOCKET_TIMEOUT.defaultValue(),
                    RagstreamOptions.SINK_LOCK_TIMEOUT.defaultValue(),
                            RagstreamOptions.SINK_STATEMENT_TIMEOUT.defaultValue());

    /** pgjdbc counts in whole seconds, and PostgreSQL reads a timeout of 0 as none. */
    private static final Duration SECOND = Duration.ofSeconds(1);

    public static PostgresTimeouts from(RagstreamConfig config) {
        PostgresTimeouts timeouts =
                new PostgresTimeouts(
                        config.atLeast(RagstreamOptions.POSTGRES_CONNECT_TIMEOUT, SECOND),
                        config.atLeast(RagstreamOptions.POSTGRES_SOCKET_TIMEOUT, SECOND),
                        config.atLeast(RagstreamOptions.SINK_LOCK_TIMEOUT, SECOND),
                        config.atLeast(RagstreamOptions.SINK_STATEMENT_TIMEOUT, SECOND));
        if (timeouts.socket.compareTo(timeouts.statement) <= 0) {
            // else a slow statement the server would still finish looks like a dead connection
            throw new ConfigException(
                    RagstreamOptions.POSTGRES_SOCKET_TIMEOUT.key(),
                    "must be longer than "
                            + RagstreamOptions.SINK_STATEMENT_TIMEOUT.key()
                            + " ("
                            + timeouts.statement
                            + "), was "
                            + timeouts.socket);
        }
        return timeouts;
    }

    /** pgjdbc's connection properties: it counts these in whole seconds. */
    void applyTo(Properties properties) {
        properties.setProperty("connectTimeout", Long.toString(seconds(connect)));
        properties.setProperty("loginTimeout", Long.toString(seconds(connect)));
        properties.setProperty("socketTimeout", Long.toString(seconds(socket)));
        properties.setProperty("tcpKeepAlive", "true");
    }

    /**
     * The sink's session settings, with those it sets back from what a DBA may have set ({@link
     * JobSessions}); run in auto-commit mode, so that no rollback undoes them.
     */
    void applyTo(Connection session) throws SQLException {
        try (Statement st = session.createStatement()) {
            st.execute("SET lock_timeout = " + lock.toMillis());
            st.execute("SET statement_timeout = " + statement.toMillis());
        }
        JobSessions.applyTo(session);
    }

    private static long seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000);
    }
}
