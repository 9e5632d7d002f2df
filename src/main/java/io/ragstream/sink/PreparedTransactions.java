package io.ragstream.sink;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What PostgreSQL holds in {@code pg_prepared_xacts} for one sink, finishing it, and the marker
 * each transaction writes into {@value #MARKERS}: a name PostgreSQL no longer lists was committed
 * if its marker is there, and rolled back if not.
 */
final class PreparedTransactions {
    /**
     * One row per prepared transaction, written inside it: it exists only if the transaction
     * committed.
     */
    static final String MARKERS = "ragstream_sink_transactions";

    /**
     * How long markers are kept: a committer asks only after a restore, and a restore older than
     * this announces nothing again.
     */
    static final String MARKER_RETENTION = "1 day";

    /** PostgreSQL's answer when no prepared transaction has the name: it was finished already. */
    private static final String UNDEFINED_OBJECT = "42704";

    /**
     * PostgreSQL's answer when another session is finishing the same prepared transaction ("is
     * busy").
     */
    private static final String BUSY = "55000";

    private static final Logger LOG = LoggerFactory.getLogger(PreparedTransactions.class);

    /** What {@link #finishLeftovers} did. */
    record Finished(int committed, int rolledBack) {}

    private PreparedTransactions() {}

    /**
     * Finishes every transaction the sink with this prefix (or, before prefixes, of this chunks
     * table) left prepared, at whatever parallelism it ran. After a restore from checkpoint C, one
     * whose writes belong to C or earlier is committed (the committer restored with C would commit
     * it too), and a later one is rolled back: its input is replayed. With no checkpoint, all are
     * committed: every write is version-guarded, so committing one whose input is replayed changes
     * nothing, and rolling back one whose offsets were committed would lose it. One another session
     * is finishing is left to it. Needs an auto-commit connection.
     */
    static Finished finishLeftovers(
            Connection connection,
            String prefix,
            String chunksTable,
            OptionalLong restoredCheckpoint)
            throws SQLException {
        int committed = 0, rolledBack = 0;
        List<String> leftovers = new ArrayList<>(list(connection, prefix));
        leftovers.addAll(listLegacy(connection, chunksTable));
        for (String gid : leftovers) {
            long checkpoint =
                    TransactionIds.parse(gid).map(TransactionIds.Gid::checkpoint).orElse(0L);
            try {
                if (restoredCheckpoint.isEmpty() || checkpoint <= restoredCheckpoint.getAsLong()) {
                    committed += commit(connection, gid) ? 1 : 0;
                } else {
                    rolledBack += rollback(connection, gid) ? 1 : 0;
                }
            } catch (SQLException e) {
                if (!BUSY.equals(e.getSQLState())) {
                    throw e;
                }
                LOG.info("{} is being finished by another session: {}", gid, e.getMessage());
            }
        }
        return new Finished(committed, rolledBack);
    }

    /**
     * Rolls back every transaction the sink with this prefix left prepared; how many. Needs an
     * auto-commit connection.
     */
    static int rollBackAll(Connection connection, String prefix) throws SQLException {
        int rolledBack = 0;
        for (String gid : list(connection, prefix)) {
            rolledBack += rollback(connection, gid) ? 1 : 0;
        }
        return rolledBack;
    }

    /**
     * Every transaction the sink with this prefix left prepared, from any subtask, run or
     * checkpoint, oldest first.
     */
    static List<String> list(Connection connection, String prefix) throws SQLException {
        // starts_with, not LIKE: '_' in a prefix is a wildcard to LIKE
        return gids(
                connection,
                "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
                        + " AND starts_with(gid, ?) ORDER BY prepared",
                prefix + ":");
    }

    /**
     * Those an earlier version of the sink, whose names carried the chunks table and no prefix,
     * left prepared.
     */
    static List<String> listLegacy(Connection connection, String chunksTable) throws SQLException {
        List<String> legacy = new ArrayList<>();
        for (String gid :
                gids(
                        connection,
                        "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
                                + " AND starts_with(gid, ?) ORDER BY prepared",
                        "ragstream:")) {
            if (TransactionIds.isLegacy(gid, chunksTable)) {
                legacy.add(gid);
            }
        }
        return legacy;
    }

    private static List<String> gids(Connection connection, String sql, String parameter)
            throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setString(1, parameter);
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
    static Set<String> stillPrepared(Connection connection, Collection<String> gids)
            throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement(
                        "SELECT gid FROM pg_prepared_xacts WHERE gid = ANY(?)")) {
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

    private static boolean finish(Connection connection, String command, String gid)
            throws SQLException {
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

    /**
     * Writes the marker of {@code gid} into the open transaction that is about to be prepared under
     * that name.
     */
    static void mark(Connection connection, String gid) throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement("INSERT INTO " + MARKERS + " (gid) VALUES (?)")) {
            st.setString(1, gid);
            st.executeUpdate();
        }
    }

    /**
     * Whether {@code gid}, no longer prepared, was committed (its marker is there) rather than
     * rolled back.
     */
    static boolean wasCommitted(Connection connection, String gid) throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement("SELECT 1 FROM " + MARKERS + " WHERE gid = ?")) {
            st.setString(1, gid);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Drops this sink's markers past the retention; returns how many. Needs an auto-commit
     * connection.
     */
    static int forgetOldMarkers(Connection connection, String prefix) throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement(
                        "DELETE FROM "
                                + MARKERS
                                + " WHERE starts_with(gid, ?) AND prepared_at < now() - interval '"
                                + MARKER_RETENTION
                                + "'")) {
            st.setString(1, prefix + ":");
            return st.executeUpdate();
        }
    }
}
