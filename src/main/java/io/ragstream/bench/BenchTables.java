package io.ragstream.bench;

import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** A benchmark's tables, dropped once it has measured them. */
final class BenchTables {
    private BenchTables() {}

    /**
     * Drops the chunks and documents tables, after rolling back what the bench's cancelled job left
     * prepared ({@link PgVectorSinkOptions#rollBackLeftovers}).
     */
    static void drop(PgVectorSinkOptions pg) throws SQLException {
        pg.rollBackLeftovers();
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            st.execute(
                    "DROP TABLE IF EXISTS \""
                            + pg.schema().chunksTable()
                            + "\", \""
                            + pg.schema().documentsTable()
                            + "\"");
        }
    }
}
