package io.ragstream.job;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backfill: the same pipeline, bounded, in batch mode, over a JSONL file of document events and a
 * gzipped BEIR corpus.jsonl; it finishes by itself in both sink modes (the exactly-once one commits
 * at the end of input) and bad lines are dead-lettered.
 */
class BackfillIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(4);

    @ParameterizedTest(name = "sink.mode={0}")
    @ValueSource(strings = {"idempotent", "exactly-once"})
    void indexesJsonlAndGzippedBeirFilesAndFinishes(String mode, @TempDir Path dir)
            throws Exception {
        TestServices services = IT.services("backfill");
        Path events = TestServices.testCorpusFile(dir);
        Files.writeString(
                events,
                "{\"id\": \"broken\", \"text\": \n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        Path beir = dir.resolve("corpus.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(beir))) {
            for (int i = 0; i < 5; i++) {
                out.write(
                        ("{\"_id\": \"beir-"
                                        + i
                                        + "\", \"title\": \"Claim "
                                        + i
                                        + "\", \"text\": \"Evidence sentence number "
                                        + i
                                        + " about a scientific claim.\", \"metadata\": {}}\n")
                                .getBytes(StandardCharsets.UTF_8));
            }
        }

        RagstreamConfig config = services.config("job.parallelism=2", "sink.mode=" + mode);
        IT.backfill(config, List.of(events, beir)); // bounded: returns when done
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_indexes WHERE tablename = '"
                                        + services.chunksTable
                                        + "' AND indexdef LIKE '%hnsw%'"))
                .as("a new table is loaded first, its HNSW indexes built afterwards")
                .isZero();
        RagstreamJob.finishBackfill(config);
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_indexes WHERE tablename = '"
                                        + services.chunksTable
                                        + "' AND indexdef LIKE '%hnsw%'"))
                .as("the vectors' and the words' HNSW indexes")
                .isEqualTo(2);

        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.documentsTable
                                        + "\" WHERE tenant = 'acme'"))
                .isEqualTo(10);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.documentsTable
                                        + "\" WHERE tenant = 'default' AND doc_id LIKE 'beir-%'"))
                .isEqualTo(5);
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '"
                                        + services.chunksTable
                                        + "-')"))
                .as("prepared transactions left behind")
                .isZero();
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE doc_id = 'beir-3'"
                                        + " AND content = 'Claim 3\n\nEvidence sentence number 3 about a scientific claim.'"))
                .isEqualTo(1);

        List<ConsumerRecord<byte[], byte[]>> dead =
                TestServices.readTopic(services.dlqTopic, 1, Duration.ofSeconds(60));
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8))
                .contains("\"reason\":\"MALFORMED_JSON\"")
                .contains("\"offset\":11");
    }
}
