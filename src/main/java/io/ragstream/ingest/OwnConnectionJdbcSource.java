package io.ragstream.ingest;

import io.ragstream.config.JobSessions;

import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSource;
import org.apache.flink.connector.jdbc.core.datastream.source.enumerator.JdbcSourceEnumeratorState;
import org.apache.flink.connector.jdbc.core.datastream.source.reader.JdbcSourceReader;
import org.apache.flink.connector.jdbc.core.datastream.source.reader.JdbcSourceSplitReader;
import org.apache.flink.connector.jdbc.core.datastream.source.split.JdbcSourceSplit;
import org.apache.flink.connector.jdbc.datasource.connections.SimpleJdbcConnectionProvider;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * flink-connector-jdbc's {@link JdbcSource} (its enumerator, splits, reader and split reader), with
 * two differences. Each split reader's session sets back what a DBA may have set ({@link
 * JobSessions}): a split is read through one cursor, in one transaction that idles while the job
 * backpressures the source. And each split reader opens a connection of its own. In 4.0.0-2.0 every
 * split reader of a subtask shares the source's one connection, and flink-connector-base closes the
 * split reader of a finished split (with that connection) while the next split's reader is already
 * reading: "Socket closed" fails the job as soon as a subtask reads more than one split
 * (FLINK-39206; apache/flink-connector-jdbc#235 makes the same change upstream); once a release has
 * it, only the first difference needs this class.
 */
final class OwnConnectionJdbcSource<T>
        extends DelegatingSource<T, JdbcSourceSplit, JdbcSourceEnumeratorState, JdbcSource<T>> {
    private static final long serialVersionUID = 1L;

    private final JdbcConnectionOptions connection;
    private final DeliveryGuarantee guarantee;

    /** {@code connection} and {@code guarantee}: those {@code source} was built with. */
    OwnConnectionJdbcSource(
            JdbcSource<T> source, JdbcConnectionOptions connection, DeliveryGuarantee guarantee) {
        super(source);
        this.connection = connection;
        this.guarantee = guarantee;
    }

    @Override
    public SourceReader<T, JdbcSourceSplit> createReader(SourceReaderContext context) {
        return new JdbcSourceReader<>(
                () ->
                        new JdbcSourceSplitReader<>(
                                context,
                                source.getConfiguration(),
                                source.getTypeInformation(),
                                new SessionProvider(connection),
                                guarantee,
                                source.getResultExtractor()),
                source.getConfiguration(),
                context);
    }

    /** A connection whose session is set as {@link JobSessions} says. */
    private static final class SessionProvider extends SimpleJdbcConnectionProvider {
        private static final long serialVersionUID = 1L;

        /** The connection whose session is set already. */
        private transient Connection set;

        SessionProvider(JdbcConnectionOptions options) {
            super(options);
        }

        @Override
        public Connection getOrEstablishConnection() throws SQLException, ClassNotFoundException {
            Connection connection = super.getOrEstablishConnection();
            if (connection != set) { // new, still in auto-commit mode
                JobSessions.applyTo(connection);
                set = connection;
            }
            return connection;
        }
    }
}
