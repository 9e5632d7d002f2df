package io.ragstream.ingest;

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

/**
 * flink-connector-jdbc's {@link JdbcSource} (its enumerator, splits, reader and split reader), with
 * one difference: each split reader opens a connection of its own. In 4.0.0-2.0 every split reader
 * of a subtask shares the source's one connection, and flink-connector-base closes the split reader
 * of a finished split (with that connection) while the next split's reader is already reading:
 * "Socket closed" fails the job as soon as a subtask reads more than one split (FLINK-39206;
 * apache/flink-connector-jdbc#235 makes the same change upstream). Drop this class for {@code
 * JdbcSource} once a release has it.
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
                                new SimpleJdbcConnectionProvider(connection),
                                guarantee,
                                source.getResultExtractor()),
                source.getConfiguration(),
                context);
    }
}
