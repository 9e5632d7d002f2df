package io.ragstream.sink;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/** The sink's counters in the {@code ragstream} group, the same for both sink modes. */
final class SinkMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(SinkMetrics.class);

    private final String chunksTable;
    private final Counter rowsUpserted;
    private final Counter rowsDeleted;
    private final Counter staleDocuments;
    private final Counter missingChunks;
    private final Counter textUnavailable;
    private final Histogram batchMillis;
    private final MetricGroup metrics;

    SinkMetrics(MetricGroup metricGroup, String chunksTable) {
        this.chunksTable = chunksTable;
        metrics = metricGroup.addGroup("ragstream");
        rowsUpserted = metrics.counter("rowsUpserted");
        rowsDeleted = metrics.counter("rowsDeleted");
        staleDocuments = metrics.counter("staleDocuments");
        missingChunks = metrics.counter("missingChunks");
        textUnavailable = metrics.counter("textUnavailable");
        batchMillis =
                metrics.histogram("sinkBatchMillis", new DescriptiveStatisticsHistogram(1000));
    }

    /**
     * The exactly-once writer's buffer of updates waiting for its previous transaction's commit.
     */
    void gaugeBufferedBytes(LongSupplier bytes) {
        metrics.gauge("bufferedBytes", (Gauge<Long>) bytes::getAsLong);
    }

    void batchWritten(DocumentWriter.Counts counts, long startNanos) {
        rowsUpserted.inc(counts.rowsUpserted());
        rowsDeleted.inc(counts.rowsDeleted());
        staleDocuments.inc(counts.staleDocuments());
        if (counts.missingChunks() > 0) {
            missingChunks.inc(counts.missingChunks());
            LOG.warn(
                    "{} unchanged chunks were not in {} as the job's state expected; "
                            + "they stay missing until their documents change",
                    counts.missingChunks(),
                    chunksTable);
        }
        if (counts.textUnavailable() > 0) {
            textUnavailable.inc(counts.textUnavailable());
            LOG.warn(
                    "{} changes without their text (an unchanged TOASTed column Debezium did not"
                            + " send) for documents {} holds no live version of, such as {}: they"
                            + " stay unindexed until a change carries their text; give the table"
                            + " REPLICA IDENTITY FULL, or snapshot it again",
                    counts.textUnavailable(),
                    chunksTable,
                    counts.firstWithoutText().key());
        }
        batchMillis.update((System.nanoTime() - startNanos) / 1_000_000);
    }
}
