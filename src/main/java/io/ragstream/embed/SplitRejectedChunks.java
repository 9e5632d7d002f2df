package io.ragstream.embed;

import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.ingest.DeadLetter;
import io.ragstream.ingest.ParseDocuments;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;

/**
 * Passes embedded updates on to the sink and sends each chunk a backend rejected for good to the
 * dead-letter topic, with the document, the chunk number, the text and the backend's reason.
 */
public final class SplitRejectedChunks extends ProcessFunction<EmbeddedDocument, DocumentUpdate> {
    private static final long serialVersionUID = 1L;

    /** Where a rejected chunk "came from", in its dead letter. */
    public static final String SOURCE = "embedding";

    private transient Counter deadLettered;

    @Override
    public void open(OpenContext openContext) {
        deadLettered =
                getRuntimeContext().getMetricGroup().addGroup("ragstream").counter("deadLettered");
    }

    @Override
    public void processElement(
            EmbeddedDocument embedded, Context ctx, Collector<DocumentUpdate> out) {
        DocumentUpdate update = embedded.update();
        for (EmbeddedDocument.RejectedChunk chunk : embedded.rejected()) {
            deadLettered.inc();
            ctx.output(
                    ParseDocuments.DEAD_LETTERS,
                    new DeadLetter(
                            DeadLetter.Reason.BACKEND_REJECTED,
                            update.key()
                                    + " chunk "
                                    + chunk.chunkNo()
                                    + " (version "
                                    + update.version()
                                    + "): "
                                    + chunk.reason(),
                            SOURCE,
                            0,
                            chunk.chunkNo(),
                            update.key().getBytes(StandardCharsets.UTF_8),
                            chunk.text().getBytes(StandardCharsets.UTF_8)));
        }
        out.collect(update);
    }
}
