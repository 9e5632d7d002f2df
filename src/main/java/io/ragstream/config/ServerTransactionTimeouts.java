package io.ragstream.config;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL's timeouts that end a transaction for being open long, whatever it does: a DBA's guard
 * against forgotten sessions, often set for the whole server or a role. The job keeps transactions
 * open by design: the exactly-once sink's from its first write to the next checkpoint, a backfill's
 * cursor over a whole key range. Both idle while the job waits on its input or its output. Ended by
 * the server, they failed the task, and the restart replayed into the same wait. The job's own
 * sessions turn these timeouts off for themselves, as pg_dump does; its statements keep their own
 * {@code statement_timeout} and {@code lock_timeout}.
 */
public final class ServerTransactionTimeouts {
    /** Those the server has: {@code transaction_timeout} is PostgreSQL 17's, refused by others. */
    private static final String TURN_OFF =
            "SELECT set_config(name, '0', false) FROM pg_settings"
                    + " WHERE name IN ('idle_in_transaction_session_timeout', 'transaction_timeout')";

    private ServerTransactionTimeouts() {}

    /** Turns them off for this session; run it outside a transaction that may roll back. */
    public static void turnOff(Connection session) throws SQLException {
        try (Statement st = session.createStatement()) {
            st.execute(TURN_OFF);
        }
    }
}
