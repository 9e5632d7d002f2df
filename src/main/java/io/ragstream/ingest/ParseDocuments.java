package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.EnumMap;
import java.util.Map;

/**
 * Parses records into document events, each with the parser for its topic (document events, or
 * Debezium change events on CDC topics), and holds every event to what the sink can store ({@link
 * StorableEvents}); bad ones go to the dead-letter side output.
 */
public final class ParseDocuments extends ProcessFunction<KafkaRecord, DocumentEvent> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    /** CDC truncates: they concern every document of their topic, not one key. */
    public static final OutputTag<DocumentEvent> TRUNCATES = new OutputTag<>("truncates") {};

    private final EventParser documentParser;
    private final Map<String, EventParser> parsersByTopic;
    private final IngestLimits limits;
    private transient Counter documentsIn;
    private transient Counter recordsSkipped;
    private transient Counter charactersReplaced;
    private transient Counter deadLettered;
    private transient Map<Reason, Counter> deadLetteredByReason;

    public ParseDocuments(EventParser documentParser) {
        this(documentParser, Map.of(), IngestLimits.defaults());
    }

    /** {@code parsersByTopic} names the topics whose records are not document events. */
    public ParseDocuments(
            EventParser documentParser,
            Map<String, EventParser> parsersByTopic,
            IngestLimits limits) {
        this.documentParser = documentParser;
        this.parsersByTopic = Map.copyOf(parsersByTopic);
        this.limits = limits;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("ragstream");
        documentsIn = metrics.counter("documentsIn");
        recordsSkipped = metrics.counter("recordsSkipped");
        charactersReplaced = metrics.counter("charactersReplaced");
        deadLettered = metrics.counter("deadLettered");
        deadLetteredByReason = new EnumMap<>(Reason.class);
        MetricGroup byReason = metrics.addGroup("deadLetteredByReason");
        for (Reason reason : Reason.values()) {
            deadLetteredByReason.put(reason, byReason.counter(reason.name()));
        }
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<DocumentEvent> out) {
        try {
            StorableEvents.Checked checked = parse(record);
            if (checked == null) {
                recordsSkipped.inc();
                return;
            }
            charactersReplaced.inc(checked.charactersReplaced());
            if (checked.event().op() == DocumentEvent.Op.TRUNCATE) {
                ctx.output(TRUNCATES, checked.event());
                return;
            }
            if (checked.event().op()
                    != DocumentEvent.Op.UNSTORED_TEXT) { // a letter read back is not a document
                documentsIn.inc();
            }
            out.collect(checked.event());
        } catch (BadInputException e) {
            deadLettered.inc();
            deadLetteredByReason.get(e.reason()).inc();
            ctx.output(DEAD_LETTERS, DeadLetter.of(record, e.reason(), e.getMessage()));
        }
    }

    /**
     * The event as the sink will store it, null for a record that changes no document, or why it is
     * a dead letter.
     */
    public StorableEvents.Checked parse(KafkaRecord record) throws BadInputException {
        EventParser parser = parsersByTopic.getOrDefault(record.topic(), documentParser);
        DocumentEvent event = parser.parse(record.key(), record.value());
        return event == null
                ? null
                : StorableEvents.check(event.from(record.topic(), record.timestamp()), limits);
    }
}
