package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.common.JobStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12 on the real broker: on a topic that takes 10 MB records, a 6 MB document (over
 * ingest.max-document-bytes) and 800 KB of malformed JSON are dead-lettered with their reason, size
 * and SHA-256, and the job runs on: the documents published before and after them are indexed and
 * no task is ever restarted. (An 800 KB value used to grow past the producer's 1 MB limit in
 * base64, fail the task, be replayed, and restart the job for ever.)
 */
class OversizedBadInputIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int TEN_MB = 10 * 1024 * 1024;
    private static final int CAP = 64 * 1024; // kafka.dlq-max-value-bytes, the default

    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    private static TestServices services;
    private static RunningJob job;

    @BeforeAll
    static void startJob() throws Exception {
        services = IT.services("oversized");
        // one partition, so the documents around the bad records are read in order with them
        services.createTopics(
                1, Map.of("max.message.bytes", Integer.toString(TEN_MB)), services.documentsTopic);
        job = IT.start(services.config("ingest.max-document-bytes=1048576"));
    }

    @Test
    void hugeBadRecordsAreDeadLetteredWithTheirSizeAndHashAndTheJobRunsOn() throws Exception {
        byte[] tooLarge =
                document("big", "word ".repeat(6 * 1024 * 1024 / 5))
                        .getBytes(StandardCharsets.UTF_8);
        byte[] malformed =
                ("{\"id\": \"broken\", \"text\": \"" + "x".repeat(800 * 1024))
                        .getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer =
                TestServices.producer(Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TEN_MB))) {
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "acme/before",
                    document("before", "Published before the bad records."));
            TestServices.send(producer, services.documentsTopic, utf8("acme/big"), tooLarge);
            TestServices.send(producer, services.documentsTopic, utf8("acme/broken"), malformed);
            TestServices.send(
                    producer,
                    services.documentsTopic,
                    "acme/after",
                    document("after", "Published after the bad records."));
        }
        await("the documents before and after the bad ones")
                .atMost(WAIT)
                .until(
                        () ->
                                count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\" WHERE doc_id IN ('before', 'after')")
                                        == 2);

        Map<String, ConsumerRecord<byte[], byte[]>> letters = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                TestServices.readTopic(services.dlqTopic, 2, WAIT)) {
            letters.put(new String(r.key(), StandardCharsets.UTF_8), r);
        }
        assertThat(letters).containsOnlyKeys("acme/big", "acme/broken");
        assertLetter(letters.get("acme/big"), "TOO_LARGE", 1, tooLarge);
        assertLetter(letters.get("acme/broken"), "MALFORMED_JSON", 2, malformed);

        assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        job.assertNoTaskRestarted();
    }

    private static void assertLetter(
            ConsumerRecord<byte[], byte[]> letter, String reason, long offset, byte[] original)
            throws Exception {
        assertThat(letter.serializedValueSize()).isLessThan(1024 * 1024);
        JsonNode body = JSON.readTree(letter.value());
        assertThat(body.get("reason").asText()).isEqualTo(reason);
        assertThat(body.get("topic").asText()).isEqualTo(services.documentsTopic);
        assertThat(body.get("valueBytes").asLong()).isEqualTo(original.length);
        assertThat(body.get("valueSha256").asText())
                .isEqualTo(
                        HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256").digest(original)));
        assertThat(body.get("valueTruncated").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(body.get("value").asText()))
                .containsExactly(Arrays.copyOf(original, CAP));
        assertThat(body.get("keyTruncated").asBoolean()).isFalse();
        assertThat(header(letter, "ragstream.errors.reason")).isEqualTo(reason);
        assertThat(header(letter, "__connect.errors.topic")).isEqualTo(services.documentsTopic);
        assertThat(body.get("offset").asLong()).isEqualTo(offset);
        assertThat(header(letter, "__connect.errors.offset")).isEqualTo(Long.toString(offset));
        assertThat(header(letter, "__connect.errors.exception.message"))
                .isEqualTo(body.get("detail").asText())
                .isNotBlank();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        assertThat(header).as("header %s", name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String document(String id, String text) {
        return JSON.createObjectNode()
                .put("tenant", "acme")
                .put("id", id)
                .put("text", text)
                .toString();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
