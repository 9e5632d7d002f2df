package io.ragstream.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What PostgreSQL holds in {@code pg_prepared_xacts} for one chunks table, and finishing it. */
final class PreparedTransactions {
    /** PostgreSQL's answer when no prepared transaction has the name: it was finished already. */
    private static final String UNDEFINED_OBJECT = "42704";

    private PreparedTransactions() {}

    /** Every prepared transaction of this table's sink, from any subtask or run. */
    static List<String> list(Connection connection, String chunksTable) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(
                "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE ? ORDER BY prepared")) {
            st.setString(1, TransactionIds.tablePrefix(chunksTable) + "%");
            List<String> gids = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    gids.add(rs.getString(1));
                }
            }
            return gids;
        }
    }

    /** Those of {@code gids} still prepared. */
    static Set<String> stillPrepared(Connection connection, Collection<String> gids) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT gid FROM pg_prepared_xacts WHERE gid = ANY(?)")) {
            st.setArray(1, connection.createArrayOf("text", gids.toArray()));
            Set<String> prepared = new HashSet<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    prepared.add(rs.getString(1));
                }
            }
            return prepared;
        }
    }

    /** Commits; false when it was not prepared (any more). Needs an auto-commit connection. */
    static boolean commit(Connection connection, String gid) throws SQLException {
        return finish(connection, "COMMIT PREPARED ", gid);
    }

    /** Rolls back; false when it was not prepared (any more). Needs an auto-commit connection. */
    static boolean rollback(Connection connection, String gid) throws SQLException {
        return finish(connection, "ROLLBACK PREPARED ", gid);
    }

    private static boolean finish(Connection connection, String command, String gid) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(command + TransactionIds.literal(gid));
            return true;
        } catch (SQLException e) {
            if (UNDEFINED_OBJECT.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }
}
