package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job's own dead letters read back: a rejected chunk names its document and text; nothing else
 * counts.
 */
class RejectedChunkParserTest {
    private final RejectedChunkParser parser = new RejectedChunkParser();
    private final DeadLetterSerializer letters = new DeadLetterSerializer("dlq", 64 * 1024);

    @Test
    void aRejectedChunkBecomesAnUnstoredTextOfItsDocument() {
        DocumentEvent event =
                parse(
                        new DeadLetter(
                                Reason.BACKEND_REJECTED,
                                "acme/d chunk 3: HTTP 400",
                                "embedding",
                                0,
                                3,
                                DocumentEvent.key("a/b", "doc/1").getBytes(StandardCharsets.UTF_8),
                                utf8("the rejected text")));

        assertThat(event.op()).isEqualTo(DocumentEvent.Op.UNSTORED_TEXT);
        assertThat(event.tenant()).isEqualTo("a/b");
        assertThat(event.id()).isEqualTo("doc/1");
        assertThat(event.text()).isEqualTo("the rejected text");
        assertThat(event.key()).isEqualTo(DocumentEvent.key("a/b", "doc/1"));
    }

    @Test
    void otherLettersAndAnythingUnreadableChangeNothing() {
        assertThat(
                        parse(
                                new DeadLetter(
                                        Reason.MALFORMED_JSON,
                                        "x",
                                        "docs",
                                        0,
                                        1,
                                        utf8("acme/d"),
                                        utf8("{oops"))))
                .isNull();
        assertThat(parser.parse(null, null)).isNull();
        assertThat(parser.parse(null, utf8("{not json"))).isNull();
        assertThat(
                        parser.parse(
                                null,
                                utf8(
                                        "{\"reason\": \"BACKEND_REJECTED\", \"key\": \"%%%\", \"value\": \"!!\"}")))
                .isNull();
        assertThat(parser.parse(null, new byte[] {(byte) 0xFF})).isNull();
    }

    private DocumentEvent parse(DeadLetter letter) {
        ProducerRecord<byte[], byte[]> record = letters.serialize(letter, null, null);
        return parser.parse(record.key(), record.value());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
