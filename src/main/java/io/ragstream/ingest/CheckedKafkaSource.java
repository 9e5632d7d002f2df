package io.ragstream.ingest;

import io.ragstream.config.KafkaClientProperties;

import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;

/**
 * Flink's KafkaSource, whose readers check each offset they are given against the topic as it is
 * now ({@link CheckedKafkaReader}): a topic made again since a checkpoint is read from its start,
 * and records its retention deleted before they were read are named and counted. Its enumerator and
 * enumerator state are KafkaSource's own.
 */
public final class CheckedKafkaSource
        extends DelegatingSource<
                KafkaRecord, KafkaPartitionSplit, KafkaSourceEnumState, KafkaSource<KafkaRecord>>
        implements LineageVertexProvider {
    private static final long serialVersionUID = 1L;

    private final String brokers;
    private final KafkaClientProperties client;

    CheckedKafkaSource(
            KafkaSource<KafkaRecord> kafka, String brokers, KafkaClientProperties client) {
        super(kafka);
        this.brokers = brokers;
        this.client = client;
    }

    @Override
    public SourceReader<KafkaRecord, KafkaPartitionSplit> createReader(
            SourceReaderContext readerContext) throws Exception {
        return new CheckedKafkaReader(
                source.createReader(readerContext),
                brokers,
                client,
                readerContext.metricGroup().addGroup("ragstream").counter("recordsExpiredUnread"));
    }

    @Override
    public SimpleVersionedSerializer<KafkaPartitionSplit> getSplitSerializer() {
        return new TopicIdSplitSerializer();
    }

    @Override
    public LineageVertex getLineageVertex() {
        return source.getLineageVertex();
    }
}
