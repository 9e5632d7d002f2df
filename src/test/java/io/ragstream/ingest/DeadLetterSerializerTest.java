package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.ingest.DeadLetter.Reason;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a dead letter looks like on the topic, and that any input gives one the producer accepts.
 */
class DeadLetterSerializerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CAP = 64 * 1024;
    private static final DeadLetterSerializer SERIALIZER = new DeadLetterSerializer("dlq", CAP);

    @Test
    void aSmallLetterCarriesEverythingWholeWithConnectHeaders() throws Exception {
        byte[] key = "acme/d1".getBytes(StandardCharsets.UTF_8);
        byte[] value = {'{', (byte) 0xFF, 0, '}'};
        ProducerRecord<byte[], byte[]> record =
                serialize(
                        new DeadLetter(
                                Reason.INVALID_UTF8, "bad byte at 1", "docs", 3, 42L, key, value));

        assertThat(record.topic()).isEqualTo("dlq");
        assertThat(record.key()).containsExactly(key);
        JsonNode body = JSON.readTree(record.value());
        assertThat(body.get("reason").asText()).isEqualTo("INVALID_UTF8");
        assertThat(body.get("detail").asText()).isEqualTo("bad byte at 1");
        assertThat(body.get("topic").asText()).isEqualTo("docs");
        assertThat(body.get("partition").asInt()).isEqualTo(3);
        assertThat(body.get("offset").asLong()).isEqualTo(42L);
        assertExcerpt(body, "key", key, key.length);
        assertExcerpt(body, "value", value, value.length);

        assertThat(header(record, "__connect.errors.topic")).isEqualTo("docs");
        assertThat(header(record, "__connect.errors.partition")).isEqualTo("3");
        assertThat(header(record, "__connect.errors.offset")).isEqualTo("42");
        assertThat(header(record, "__connect.errors.exception.message")).isEqualTo("bad byte at 1");
        assertThat(header(record, "ragstream.errors.reason")).isEqualTo("INVALID_UTF8");
    }

    @Test
    void aValueOfExactlyTheCapIsWholeAndOneByteMoreIsCut() throws Exception {
        byte[] exact = randomBytes(CAP, 1);
        byte[] over = randomBytes(CAP + 1, 2);

        assertExcerpt(JSON.readTree(serialize(letter("k", exact)).value()), "value", exact, CAP);
        JsonNode cut = JSON.readTree(serialize(letter("k", over)).value());
        assertExcerpt(cut, "value", over, CAP);
        assertThat(cut.get("valueTruncated").asBoolean()).isTrue();
    }

    @Test
    void aFiftyMegabyteValueIsDeadLetteredLikeATenByteOne() throws Exception {
        byte[] huge = randomBytes(50 * 1024 * 1024, 3);
        ProducerRecord<byte[], byte[]> record = serialize(letter("acme/huge", huge));

        JsonNode body = JSON.readTree(record.value());
        assertExcerpt(body, "value", huge, CAP);
        assertThat(body.get("valueBytes").asLong()).isEqualTo(50L * 1024 * 1024);
        assertThat(record.key()).containsExactly("acme/huge".getBytes(StandardCharsets.UTF_8));
        assertThat(sizeOnTheWire(record)).isLessThan(CAP * 3);
    }

    @Test
    void nullKeyAndValueStayNull() throws Exception {
        ProducerRecord<byte[], byte[]> record =
                serialize(
                        new DeadLetter(
                                Reason.MISSING_KEY,
                                "a tombstone needs a key",
                                "docs",
                                0,
                                7L,
                                null,
                                null));

        assertThat(record.key()).isNull();
        JsonNode body = JSON.readTree(record.value());
        for (String name : new String[] {"key", "value"}) {
            assertThat(body.get(name).isNull()).as(name).isTrue();
            assertThat(body.get(name + "Bytes").isNull()).as(name).isTrue();
            assertThat(body.get(name + "Sha256").isNull()).as(name).isTrue();
            assertThat(body.get(name + "Truncated").asBoolean()).as(name).isFalse();
        }
        assertThat(header(record, "ragstream.errors.reason")).isEqualTo("MISSING_KEY");
    }

    @Test
    void aHugeKeyIsCutInTheBodyAndNotUsedAsTheRecordKey() throws Exception {
        byte[] key = randomBytes(2 * 1024 * 1024, 4);
        ProducerRecord<byte[], byte[]> record =
                serialize(
                        new DeadLetter(
                                Reason.MALFORMED_JSON,
                                "x",
                                "docs",
                                0,
                                0L,
                                key,
                                "{".getBytes(StandardCharsets.UTF_8)));

        assertThat(record.key()).isNull();
        JsonNode body = JSON.readTree(record.value());
        assertExcerpt(body, "key", key, CAP);
        assertThat(body.get("keyTruncated").asBoolean()).isTrue();
        assertThat(sizeOnTheWire(record))
                .isLessThanOrEqualTo(DeadLetterSerializer.MAX_REQUEST_BYTES);
    }

    @Test
    void aKeyOfExactlyTheCapIsStillTheRecordKey() {
        byte[] key = randomBytes(CAP, 5);
        assertThat(
                        serialize(
                                        new DeadLetter(
                                                Reason.TOO_LARGE,
                                                "x",
                                                "docs",
                                                0,
                                                0L,
                                                key,
                                                new byte[0]))
                                .key())
                .containsExactly(key);
    }

    @Test
    void theDetailIsCappedWithoutSplittingACharacter() throws Exception {
        String emoji = "\uD83D\uDE00"; // one code point, two chars
        String detail =
                "x".repeat(DeadLetterSerializer.MAX_DETAIL_CHARS - 2) + emoji + "y".repeat(100_000);
        ProducerRecord<byte[], byte[]> record =
                serialize(
                        new DeadLetter(
                                Reason.MALFORMED_JSON, detail, "docs", 0, 0L, null, new byte[1]));

        String kept = JSON.readTree(record.value()).get("detail").asText();
        assertThat(kept)
                .hasSizeLessThanOrEqualTo(DeadLetterSerializer.MAX_DETAIL_CHARS)
                .endsWith("x\u2026");
        assertThat(header(record, "__connect.errors.exception.message")).isEqualTo(kept);
    }

    @Test
    void theWorstLetterAtTheLargestCapFitsTheProducersLimit() {
        int largest =
                DeadLetterSerializer.largestMaxValueBytes(DeadLetterSerializer.MAX_REQUEST_BYTES);
        assertThat(largest).isGreaterThan(256 * 1024);
        DeadLetterSerializer serializer = new DeadLetterSerializer("dlq", largest);
        // every char of detail and topic escaped by JSON (\u0001) or 3 bytes in UTF-8 (\u20ac), key
        // and value over the cap
        String detail = "\u0001\u20ac".repeat(50_000);
        String topic = "\u0001\u20ac".repeat(500);
        DeadLetter worst =
                new DeadLetter(
                        Reason.UNSTORABLE_CHARACTER,
                        detail,
                        topic,
                        Integer.MAX_VALUE,
                        Long.MIN_VALUE,
                        randomBytes(largest, 6),
                        randomBytes(largest + 1, 7));

        ProducerRecord<byte[], byte[]> record = serializer.serialize(worst, null, null);

        assertThat(record.key()).hasSize(largest);
        assertThat(sizeOnTheWire(record))
                .isLessThanOrEqualTo(DeadLetterSerializer.MAX_REQUEST_BYTES);
        assertThat(DeadLetterSerializer.worstCaseBytes(largest + 1))
                .isGreaterThan(DeadLetterSerializer.MAX_REQUEST_BYTES);
    }

    @Test
    void theCapIsCheckedAtStartAgainstWhatTheProducerCanSend() {
        int largest =
                DeadLetterSerializer.largestMaxValueBytes(DeadLetterSerializer.MAX_REQUEST_BYTES);
        for (String bad : new String[] {"0", "-1", Integer.toString(largest + 1), "1048576"}) {
            RagstreamConfig config =
                    RagstreamConfig.of(Map.of("kafka.dlq-max-value-bytes", bad), Map.of());
            assertThatThrownBy(() -> DeadLetterSerializer.from(config))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("kafka.dlq-max-value-bytes");
        }
        DeadLetterSerializer.from(
                RagstreamConfig.of(
                        Map.of("kafka.dlq-max-value-bytes", Integer.toString(largest)), Map.of()));
        DeadLetterSerializer.from(RagstreamConfig.of(Map.of(), Map.of())); // the default
    }

    private static void assertExcerpt(JsonNode body, String name, byte[] original, int carried)
            throws Exception {
        assertThat(Base64.getDecoder().decode(body.get(name).asText()))
                .containsExactly(Arrays.copyOf(original, carried));
        assertThat(body.get(name + "Bytes").asLong()).isEqualTo(original.length);
        assertThat(body.get(name + "Sha256").asText())
                .isEqualTo(
                        HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256").digest(original)));
        assertThat(body.get(name + "Truncated").asBoolean()).isEqualTo(carried < original.length);
    }

    private static ProducerRecord<byte[], byte[]> serialize(DeadLetter letter) {
        return SERIALIZER.serialize(letter, null, null);
    }

    private static DeadLetter letter(String key, byte[] value) {
        return new DeadLetter(
                Reason.TOO_LARGE,
                "too large",
                "docs",
                0,
                1L,
                key.getBytes(StandardCharsets.UTF_8),
                value);
    }

    /** The size the producer checks against max.request.size. */
    private static int sizeOnTheWire(ProducerRecord<byte[], byte[]> record) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE,
                record.key(),
                record.value(),
                record.headers().toArray());
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
