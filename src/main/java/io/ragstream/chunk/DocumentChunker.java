package io.ragstream.chunk;

import io.ragstream.config.RestoredSetting;
import io.ragstream.config.StoredIndex;
import io.ragstream.ingest.DocumentEvent;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Keyed by document: chunks each new version and compares it with the chunks the job holds for the
 * document, so that only chunks whose text changed go on to be embedded. Events older than the held
 * version, and repeats of it, change nothing. A deleted document's state is dropped after {@code
 * deletedRetention}: from then on its row in the documents table (deleted, with its version) is
 * what turns away late events.
 *
 * <p>CDC truncates come in broadcast, since they touch every document their topic wrote: each
 * subtask forgets those documents (the documents table, which the truncate marks deleted, then
 * guards them), and one subtask passes the truncate on to the sink.
 *
 * <p>What it holds describes the rows of one {@link StoredIndex}: restored into a job that writes
 * another (a savepoint taken before the tables or the model changed), it fails the job at once,
 * without restarts, naming the setting.
 */
public final class DocumentChunker
        extends KeyedBroadcastProcessFunction<String, DocumentEvent, DocumentEvent, DocumentUpdate>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    static final ValueStateDescriptor<DocumentState> STATE =
            new ValueStateDescriptor<>("document", DocumentState.class);

    /**
     * The broadcast input's state: the newest truncate version per topic (Flink needs one; it also
     * shows in savepoints).
     */
    public static final MapStateDescriptor<String, Long> TRUNCATES =
            new MapStateDescriptor<>("truncates", Types.STRING, Types.LONG);

    private final Chunker chunker;
    private final long deletedRetentionMillis;
    private final StoredIndex storedIndex;
    private transient ValueState<DocumentState> state;
    private transient Counter chunksReused;
    private transient Counter staleEvents;
    private transient Counter rejectedChunksForgotten;

    public DocumentChunker(Chunker chunker, Duration deletedRetention, StoredIndex storedIndex) {
        this.chunker = chunker;
        this.deletedRetentionMillis = deletedRetention.toMillis();
        this.storedIndex = storedIndex;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        RestoredSetting.keep(
                context, "stored-index", storedIndex.encoded(), storedIndex::refuseStateOf);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // the index is kept since initializeState
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(STATE);
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("ragstream");
        chunksReused = metrics.counter("chunksReused");
        staleEvents = metrics.counter("staleEvents");
        rejectedChunksForgotten = metrics.counter("rejectedChunksForgotten");
    }

    @Override
    public void processElement(
            DocumentEvent event, ReadOnlyContext ctx, Collector<DocumentUpdate> out)
            throws Exception {
        Long truncatedAt =
                event.sourceTopic() == null
                        ? null
                        : ctx.getBroadcastState(TRUNCATES).get(event.sourceTopic());
        if (event.version() != null && truncatedAt != null && event.version() < truncatedAt) {
            staleEvents.inc(); // older than a truncate of its topic's table that came in first
            return;
        }
        DocumentState held = state.value();
        switch (event.op()) {
            case DELETE -> delete(event, held, ctx, out);
            case UPSERT -> upsert(event, held, out);
            case KEEP_TEXT -> keepText(event, held, out);
            case UNSTORED_TEXT -> forget(event.text(), held);
            case TRUNCATE ->
                    throw new IllegalArgumentException("a truncate comes on the broadcast input");
        }
    }

    /**
     * A backend rejected this chunk text, so its row was not written: the held chunks with that
     * text stop counting as stored, and the next version embeds them again.
     */
    private void forget(String rejectedText, DocumentState held) throws Exception {
        if (held == null || held.deleted()) {
            return;
        }
        byte[] hashes = held.chunkHashes().clone();
        byte[] rejected = sha256(rejectedText);
        boolean any = false;
        for (int i = 0; i < held.chunkCount(); i++) {
            if (held.holds(i, rejected)) {
                java.util.Arrays.fill(
                        hashes,
                        i * DocumentState.HASH_BYTES,
                        (i + 1) * DocumentState.HASH_BYTES,
                        (byte) 0);
                any = true;
            }
        }
        if (any) {
            rejectedChunksForgotten.inc();
            state.update(new DocumentState(held.version(), false, hashes, held.sourceTopicHash()));
        }
    }

    /**
     * A truncate of a CDC topic's table: every document that topic wrote before it is forgotten
     * here, deleted in the table.
     */
    @Override
    public void processBroadcastElement(
            DocumentEvent truncate, Context ctx, Collector<DocumentUpdate> out) throws Exception {
        int topic = DocumentState.topicHash(truncate.sourceTopic());
        long version = truncate.version();
        Long before = ctx.getBroadcastState(TRUNCATES).get(truncate.sourceTopic());
        ctx.getBroadcastState(TRUNCATES)
                .put(truncate.sourceTopic(), before == null ? version : Math.max(before, version));
        ctx.applyToKeyedState(
                STATE,
                (key, document) -> {
                    DocumentState held = document.value();
                    if (held != null
                            && held.sourceTopicHash() == topic
                            && held.version() < version) {
                        document.clear();
                    }
                });
        if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
            out.collect(DocumentUpdate.truncate(truncate.sourceTopic(), version));
        }
    }

    /**
     * A delete with its own version deletes that version; one without deletes the newest version
     * known (held here, else the one the table holds: {@link DocumentUpdate#VERSION_UNKNOWN}) and
     * never invents a newer one, so whatever comes after it with a newer version re-creates the
     * document (DESIGN.md "Versions and deletes").
     */
    private void delete(
            DocumentEvent event,
            DocumentState held,
            ReadOnlyContext ctx,
            Collector<DocumentUpdate> out)
            throws Exception {
        long version;
        if (event.version() == null) {
            if (held != null && held.deleted()) {
                return; // already deleted: a tombstone after its delete
            }
            version = held == null ? DocumentUpdate.VERSION_UNKNOWN : held.version();
        } else {
            version = event.version();
            if (isStale(version, held)) {
                return; // older, or the same delete again
            }
        }
        state.update(
                new DocumentState(
                        version, true, new byte[0], DocumentState.topicHash(event.sourceTopic())));
        ctx.timerService()
                .registerProcessingTimeTimer(
                        ctx.timerService().currentProcessingTime() + deletedRetentionMillis);
        out.collect(update(event, version, true, List.of(), DocumentUpdate.Kind.WRITE));
    }

    private void upsert(DocumentEvent event, DocumentState held, Collector<DocumentUpdate> out)
            throws Exception {
        long version = upsertVersion(event, held);
        if (isStale(version, held)) {
            return;
        }
        List<String> texts = chunker.split(event.content());
        byte[] hashes = new byte[texts.size() * DocumentState.HASH_BYTES];
        List<ChunkRow> chunks = new ArrayList<>(texts.size());
        int unchanged = 0;
        for (int i = 0; i < texts.size(); i++) {
            byte[] sha = sha256(texts.get(i));
            System.arraycopy(
                    sha, 0, hashes, i * DocumentState.HASH_BYTES, DocumentState.HASH_BYTES);
            if (held != null && held.holds(i, sha)) {
                chunks.add(new ChunkRow(i, null, sha, null));
                unchanged++;
            } else {
                chunks.add(new ChunkRow(i, texts.get(i), sha, null));
            }
        }
        if (held != null
                && !held.deleted()
                && held.version() == version
                && unchanged == texts.size()
                && held.chunkCount() == texts.size()) {
            return; // a repeat of the version already held
        }
        chunksReused.inc(unchanged);
        state.update(
                new DocumentState(
                        version, false, hashes, DocumentState.topicHash(event.sourceTopic())));
        out.collect(update(event, version, false, chunks, DocumentUpdate.Kind.WRITE));
    }

    /** The text did not change: the held chunks take the new version and metadata. */
    private void keepText(DocumentEvent event, DocumentState held, Collector<DocumentUpdate> out)
            throws Exception {
        long version = upsertVersion(event, held);
        if (isStale(version, held)) {
            return;
        }
        if (held == null
                || held.deleted()) { // the job holds no chunks: the table's stay as they are
            out.collect(
                    update(
                            event,
                            version,
                            false,
                            List.of(),
                            DocumentUpdate.Kind.KEEP_STORED_CHUNKS));
            return;
        }
        List<ChunkRow> chunks = new ArrayList<>(held.chunkCount());
        for (int i = 0; i < held.chunkCount(); i++) {
            chunks.add(new ChunkRow(i, null, held.chunkHash(i), null));
        }
        chunksReused.inc(chunks.size());
        state.update(
                new DocumentState(
                        version,
                        false,
                        held.chunkHashes(),
                        DocumentState.topicHash(event.sourceTopic())));
        out.collect(update(event, version, false, chunks, DocumentUpdate.Kind.WRITE));
    }

    /**
     * Its own version, else newer than what is held (and not older than the Kafka record's
     * timestamp).
     */
    private static long upsertVersion(DocumentEvent event, DocumentState held) {
        if (event.version() != null) {
            return event.version();
        }
        long afterHeld = held == null || !held.versionKnown() ? 0 : held.version() + 1;
        return Math.max(afterHeld, event.timestamp());
    }

    /**
     * Older than the held version, or the version held as deleted (a delete wins at equal
     * versions); counted.
     */
    private boolean isStale(long version, DocumentState held) {
        boolean stale =
                held != null
                        && held.versionKnown()
                        && (version < held.version()
                                || (version == held.version() && held.deleted()));
        if (stale) {
            staleEvents.inc();
        }
        return stale;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<DocumentUpdate> out)
            throws Exception {
        DocumentState held = state.value();
        if (held != null && held.deleted()) { // not re-created since
            state.clear();
        }
    }

    @Override
    public void close() {
        chunker.close();
    }

    /** {@link #sha256} as 64 lower-case hex digits, as {@code sha256sum} prints it. */
    public static String sha256Hex(String text) {
        return HexFormat.of().formatHex(sha256(text));
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** What the sink must write for this event's document at {@code version}. */
    private static DocumentUpdate update(
            DocumentEvent event,
            long version,
            boolean deleted,
            List<ChunkRow> chunks,
            DocumentUpdate.Kind kind) {
        return new DocumentUpdate(
                event.tenant(),
                event.id(),
                version,
                deleted,
                deleted ? "{}" : event.metadata(),
                chunks,
                kind,
                event.sourceTopic());
    }
}
