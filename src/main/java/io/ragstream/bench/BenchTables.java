package io.ragstream.bench;

import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A benchmark's tables, dropped once it has measured them. */
final class BenchTables {
    private BenchTables() {}

    /**
     * Drops the chunks and documents tables, after rolling back what the bench's cancelled job left
     * prepared: a prepared transaction keeps its locks, and the drop would wait for it forever.
     */
    static void drop(PgVectorSinkOptions pg) throws SQLException {
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            List<String> prepared = new ArrayList<>();
            try (PreparedStatement ps =
                    c.prepareStatement(
                            "SELECT gid FROM pg_prepared_xacts"
                                    + " WHERE database = current_database() AND starts_with(gid, ?)")) {
                ps.setString(1, pg.transactionPrefix());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        prepared.add(rs.getString(1));
                    }
                }
            }
            for (String gid : prepared) {
                st.execute("ROLLBACK PREPARED '" + gid.replace("'", "''") + "'");
            }
            st.execute(
                    "DROP TABLE IF EXISTS \""
                            + pg.schema().chunksTable()
                            + "\", \""
                            + pg.schema().documentsTable()
                            + "\"");
        }
    }
}
