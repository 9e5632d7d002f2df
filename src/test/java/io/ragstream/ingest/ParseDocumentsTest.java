package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;
import io.ragstream.ingest.DocumentEvent.Op;
import io.ragstream.testing.CapturedMetrics;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ParseDocuments} in a real harness: good records go on, bad ones to the dead-letter side
 * output.
 */
class ParseDocumentsTest {

    private static final String TOPIC = "ragstream.documents";

    @Test
    void goodRecordsGoOnAndBadOnesAreDeadLetteredWithWhereTheyCameFromAndWhy() throws Exception {
        byte[] badUtf8 = {'{', '"', 'i', 'd', '"', ':', (byte) 0xFF, '}'};
        List<KafkaRecord> records =
                List.of(
                        record(
                                0,
                                10,
                                "acme/d1",
                                "{\"tenant\": \"acme\", \"id\": \"d1\", \"version\": 1, \"text\": \"one\"}"),
                        record(0, 11, "acme/d2", "{not json"),
                        record(1, 5, "acme/d3", null),
                        new KafkaRecord(TOPIC, 1, 6, 0L, bytes("acme/d4"), badUtf8),
                        record(2, 7, null, null),
                        record(
                                2,
                                8,
                                "d5",
                                "{\"id\": \"d5\", \"text\": \"five\", \"op\": \"merge\"}"),
                        record(2, 9, null, "{\"id\": \"d6\", \"text\": \"six\"}"));

        try (OneInputStreamOperatorTestHarness<KafkaRecord, DocumentEvent> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new ParseDocuments(new DocumentEventParser(1 << 20)))) {
            for (KafkaRecord r : records) {
                harness.processElement(r, r.timestamp());
            }

            List<DocumentEvent> events = harness.extractOutputValues();
            assertThat(events)
                    .extracting(DocumentEvent::key)
                    .containsExactly("acme/d1", "acme/d3", "default/d6");
            assertThat(events.get(0).version()).isEqualTo(1L);
            assertThat(events.get(0).text()).isEqualTo("one");
            assertThat(events.get(1).op()).as("a tombstone").isEqualTo(Op.DELETE);
            assertThat(events.get(1).version())
                    .as("a delete never takes the record's timestamp as its version")
                    .isNull();
            assertThat(events.get(2).op()).isEqualTo(Op.UPSERT);
            assertThat(events.get(2).version())
                    .as("the chunker orders it after what it holds")
                    .isNull();
            assertThat(events.get(2).timestamp()).isEqualTo(1_009L);
            assertThat(events).extracting(DocumentEvent::sourceTopic).containsOnly(TOPIC);

            List<DeadLetter> dead =
                    harness.getSideOutput(ParseDocuments.DEAD_LETTERS).stream()
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(dead)
                    .extracting(DeadLetter::reason)
                    .containsExactly(
                            Reason.MALFORMED_JSON,
                            Reason.INVALID_UTF8,
                            Reason.MISSING_KEY,
                            Reason.UNKNOWN_OP);

            assertDeadLetter(dead.get(0), Reason.MALFORMED_JSON, records.get(1));
            assertDeadLetter(dead.get(1), Reason.INVALID_UTF8, records.get(3));
            assertDeadLetter(dead.get(2), Reason.MISSING_KEY, records.get(4));
            assertDeadLetter(dead.get(3), Reason.UNKNOWN_OP, records.get(5));
            assertThat(dead.get(3).detail()).contains("merge");
        }
    }

    @Test
    void aDeadLetterKeepsTheOriginalBytesExactly() throws Exception {
        byte[] value = {(byte) 0xC0, (byte) 0xAF, 0, 1, 2, (byte) 0xFE};
        byte[] key = {(byte) 0xFF, 'k'};

        try (OneInputStreamOperatorTestHarness<KafkaRecord, DocumentEvent> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new ParseDocuments(new DocumentEventParser(1 << 20)))) {
            harness.processElement(
                    new KafkaRecord("other-topic", 3, 123_456_789_012L, 0L, key, value), 0L);

            assertThat(harness.extractOutputValues()).isEmpty();
            DeadLetter dead = harness.getSideOutput(ParseDocuments.DEAD_LETTERS).peek().getValue();
            assertThat(dead.reason()).isEqualTo(Reason.INVALID_UTF8);
            assertThat(dead.topic()).isEqualTo("other-topic");
            assertThat(dead.partition()).isEqualTo(3);
            assertThat(dead.offset()).isEqualTo(123_456_789_012L);
            assertThat(dead.key()).containsExactly(key);
            assertThat(dead.value()).containsExactly(value);
        }
    }

    @Test
    void aTooLargeRecordIsDeadLetteredWhole() throws Exception {
        String value = "{\"id\": \"big\", \"text\": \"" + "x".repeat(200) + "\"}";

        try (OneInputStreamOperatorTestHarness<KafkaRecord, DocumentEvent> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new ParseDocuments(new DocumentEventParser(100)))) {
            KafkaRecord r = record(0, 1, "default/big", value);
            harness.processElement(r, 0L);

            assertThat(harness.extractOutputValues()).isEmpty();
            DeadLetter dead = harness.getSideOutput(ParseDocuments.DEAD_LETTERS).peek().getValue();
            assertDeadLetter(dead, Reason.TOO_LARGE, r);
        }
    }

    @Test
    void countsDocumentsInAndDeadLettersByReason() throws Exception {
        CapturedMetrics metrics = new CapturedMetrics("parse");
        try (OneInputStreamOperatorTestHarness<KafkaRecord, DocumentEvent> harness =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new ParseDocuments(new DocumentEventParser(1 << 20))),
                        metrics.environment())) {
            harness.open();
            harness.processElement(record(0, 0, null, "{\"id\": \"a\", \"text\": \"x\"}"), 0L);
            harness.processElement(record(0, 1, null, "{\"id\": \"b\", \"text\": \"y\"}"), 0L);
            harness.processElement(record(0, 2, null, "[]"), 0L);
            harness.processElement(record(0, 3, null, "{\"id\": \"c\"}"), 0L);
            harness.processElement(record(0, 4, null, "{\"id\": \"d\", \"text\": \"\"}"), 0L);

            assertThat(metrics.counter("documentsIn")).isEqualTo(2);
            assertThat(metrics.counter("deadLettered")).isEqualTo(3);
            assertThat(metrics.counter("deadLetteredByReason.NOT_AN_OBJECT")).isEqualTo(1);
            assertThat(metrics.counter("deadLetteredByReason.EMPTY_TEXT")).isEqualTo(2);
            assertThat(metrics.counter("deadLetteredByReason.MALFORMED_JSON")).isZero();
        }
    }

    private static void assertDeadLetter(DeadLetter dead, Reason reason, KafkaRecord from) {
        assertThat(dead.reason()).isEqualTo(reason);
        assertThat(dead.detail()).isNotBlank();
        assertThat(dead.topic()).isEqualTo(from.topic());
        assertThat(dead.partition()).isEqualTo(from.partition());
        assertThat(dead.offset()).isEqualTo(from.offset());
        if (from.key() == null) {
            assertThat(dead.key()).isNull();
        } else {
            assertThat(dead.key()).containsExactly(from.key());
        }
        if (from.value() == null) {
            assertThat(dead.value()).isNull();
        } else {
            assertThat(dead.value()).containsExactly(from.value());
        }
    }

    private static KafkaRecord record(int partition, long offset, String key, String value) {
        return new KafkaRecord(
                TOPIC,
                partition,
                offset,
                1_000L + offset,
                key == null ? null : bytes(key),
                value == null ? null : bytes(value));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
