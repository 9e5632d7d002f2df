package io.ragstream.embed;

import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups document updates until they hold {@code batchSize} chunks to embed, or the first of them
 * has waited {@code linger}. The buffer is emitted before every checkpoint barrier, so it never
 * needs to be part of a checkpoint and no chunk is lost on failure. Updates keep their order.
 */
public final class MicroBatchOperator extends AbstractStreamOperator<EmbeddingBatch>
        implements OneInputStreamOperator<DocumentUpdate, EmbeddingBatch>,
                ProcessingTimeCallback,
                BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final int batchSize;
    private final long lingerMillis;
    private transient List<DocumentUpdate> buffer;
    private transient int bufferedChunks;
    private transient long deadline;
    private transient boolean timerSet;

    public MicroBatchOperator(int batchSize, long lingerMillis) {
        this.batchSize = batchSize;
        this.lingerMillis = lingerMillis;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>();
    }

    @Override
    public void processElement(StreamRecord<DocumentUpdate> element) {
        DocumentUpdate update = element.getValue();
        int chunks = update.changedChunks();
        if (buffer.isEmpty() && chunks == 0) {
            emit(List.of(update)); // nothing to embed and nothing ahead of it: no reason to wait
            return;
        }
        if (buffer.isEmpty()) {
            deadline = getProcessingTimeService().getCurrentProcessingTime() + lingerMillis;
            if (!timerSet) {
                getProcessingTimeService().registerTimer(deadline, this);
                timerSet = true;
            }
        }
        buffer.add(update);
        bufferedChunks += chunks;
        if (bufferedChunks >= batchSize) {
            flush();
        }
    }

    @Override
    public void onProcessingTime(long time) {
        timerSet = false;
        if (buffer.isEmpty()) {
            return;
        }
        if (time >= deadline) {
            flush();
        } else { // the buffer was flushed and refilled since this timer was set
            getProcessingTimeService().registerTimer(deadline, this);
            timerSet = true;
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) {
        flush();
    }

    @Override
    public void endInput() {
        flush();
    }

    private void flush() {
        if (!buffer.isEmpty()) {
            emit(buffer);
            buffer = new ArrayList<>();
            bufferedChunks = 0;
        }
    }

    private void emit(List<DocumentUpdate> documents) {
        output.collect(new StreamRecord<>(new EmbeddingBatch(List.copyOf(documents))));
    }
}
