package io.ragstream.config;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What a DBA may set for the whole server, a database or a role, and the job's writing and reading
 * sessions set back for themselves:
 *
 * <ul>
 *   <li>The timeouts that end a transaction for being open long, whatever it does ({@code
 *       idle_in_transaction_session_timeout}, PostgreSQL 17's {@code transaction_timeout}): a guard
 *       against forgotten sessions. The job keeps transactions open by design: the exactly-once
 *       sink's from its first write to the next checkpoint, a backfill's cursor over a whole key
 *       range, both idle while the job waits on its input or its output. Ended by the server, they
 *       failed the task, and the restart replayed into the same wait. Off, as pg_dump sets them.
 *   <li>{@code default_transaction_isolation}: the sink's version guards are written for read
 *       committed, PostgreSQL's default. Under serializable, the sink's subtasks, each with a
 *       transaction open until its checkpoint, failed each other's with "could not serialize
 *       access", and the job restarted into the same conflicts.
 * </ul>
 *
 * The statements keep their own {@code statement_timeout} and {@code lock_timeout}.
 */
public final class JobSessions {
    /** Those the server has: {@code transaction_timeout} is PostgreSQL 17's, refused by others. */
    private static final String TIMEOUTS_OFF =
            "SELECT set_config(name, '0', false) FROM pg_settings"
                    + " WHERE name IN ('idle_in_transaction_session_timeout', 'transaction_timeout')";

    private JobSessions() {}

    /** Sets them for this session; run it outside a transaction that may roll back. */
    public static void applyTo(Connection session) throws SQLException {
        try (Statement st = session.createStatement()) {
            st.execute(TIMEOUTS_OFF);
            st.execute("SET default_transaction_isolation = 'read committed'");
        }
    }
}
