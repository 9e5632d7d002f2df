package io.ragstream.job;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.EmbeddingServerStats;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.common.JobStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.ragstream.testing.TestServices.count;
import static io.ragstream.testing.TestServices.queryString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The job against a pool of three real HTTP embedding endpoints (the project's own server, in the
 * shape of a GPU: 100 ms + 5 ms per text, two requests at a time, 503 past that): losing one
 * endpoint mid-stream loses nothing and the others carry on; losing all for a minute holds the job
 * back without failing it; a text an endpoint rejects for good is dead-lettered alone; and no
 * endpoint is ever sent more requests than it takes. One job and pool serve every test; each finds
 * the pool up and taking every text, and publishes tenants of its own.
 */
class PoolFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int CAP = 2;

    @RegisterExtension static final JobFixture IT = JobFixture.slots(4);

    private static TestServices services;
    private static EmbeddingServerGroup pool;
    private static RunningJob job;

    @BeforeAll
    static void start() throws Exception {
        services = IT.services("pool");
        pool =
                EmbeddingServerGroup.start(
                        3,
                        EmbeddingServerOptions.defaults()
                                .withModel(ModelKind.SYNTHETIC)
                                .withLatency(Duration.ofMillis(100), Duration.ofMillis(5))
                                .withMaxConcurrency(CAP));
        StringBuilder yaml =
                new StringBuilder("embedding:\n  backend: ollama\n  model: ")
                        .append(pool.get(0).options().modelName())
                        .append("\n  endpoints:\n");
        for (EmbeddingServer server : pool.servers()) {
            yaml.append("    - {url: \"")
                    .append(server.url())
                    .append("\", max-concurrency: ")
                    .append(CAP)
                    .append("}\n");
        }
        Path file = Files.createTempFile("pool", ".yaml");
        Files.writeString(file, yaml);
        // two embedding subtasks share each endpoint's two slots; no cache, so every chunk is a
        // request
        RagstreamConfig config =
                services.config(
                        file,
                        "embedding.parallelism=2",
                        "embedding.batch-size=4",
                        "embedding.linger=20ms",
                        "embedding.cache.max-entries=0",
                        "embedding.request-timeout=5s");
        job = IT.start(config);
    }

    @BeforeEach
    void everyEndpointUpAndTakingEveryText() {
        pool.servers()
                .forEach(
                        server -> {
                            server.up();
                            server.configure(o -> o.withPoisonMarker(null));
                        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (job != null) {
            job.cancel();
        }
        if (pool != null) {
            List<EmbeddingServerStats.Snapshot> stats = pool.stats();
            pool.close();
            // never driven past what an endpoint takes: no 503 for being busy, ever
            assertThat(stats)
                    .allSatisfy(
                            s -> {
                                assertThat(s.maxConcurrent()).isLessThanOrEqualTo(CAP);
                                assertThat(s.rejected()).isZero();
                            });
        }
    }

    @Test
    void losingOneOfThreeEndpointsMidStreamLosesNothing() throws Exception {
        publish("a", 1500);
        await("the stream under way").atMost(WAIT).until(() -> indexed("a") > 0);
        EmbeddingServer lost = pool.get(1);
        assertThat(lost.stats().snapshot().requests())
                .as("it had its share of the work")
                .isPositive();
        lost.down(); // with requests in flight to it
        long whenLost = indexed("a");
        assertThat(whenLost).as("still work left when the endpoint goes").isLessThan(1500);
        await("the other two finish the stream").atMost(WAIT).until(() -> indexed("a") == 1500);
        long requestsWhileDown = lost.stats().snapshot().requests();
        lost.up();
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = 'a' AND vector_dims(embedding) = 384"))
                .isEqualTo(1500);

        // the endpoint that came back takes its share again once its circuit breaker lets a probe
        // through, which after a long outage may take a while: keep new work coming until then
        int published = 0;
        while (lost.stats().snapshot().requests() == requestsWhileDown && published < 2_000) {
            publish("b", published, 40);
            published += 40;
            Thread.sleep(1_000);
        }
        int total = published;
        await("the next documents indexed").atMost(WAIT).until(() -> indexed("b") == total);
        assertThat(lost.stats().snapshot().requests()).isGreaterThan(requestsWhileDown);
    }

    @Test
    void allEndpointsDownForAMinuteHoldsTheJobBackAndLosesNothing() throws Exception {
        pool.servers().forEach(EmbeddingServer::down);
        publish("c", 60);
        Thread.sleep(60_000);
        assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(indexed("c")).as("nothing can be embedded").isZero();

        pool.servers().forEach(EmbeddingServer::up);
        await("all of it once the pool is back").atMost(WAIT).until(() -> indexed("c") == 60);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = 'c'"))
                .isEqualTo(60);
    }

    @Test
    void aTextTheEndpointsRejectForGoodIsDeadLetteredAndTheRestIsIndexed() throws Exception {
        assertPoisonedTextDeadLettered("d");
    }

    @Test
    void aRejectedTextIsEmbeddedWhenItsDocumentIsRepublishedOnceTheEndpointsTakeIt()
            throws Exception {
        assertPoisonedTextDeadLettered("e");

        pool.servers().forEach(s -> s.configure(o -> o.withPoisonMarker(null)));
        // the rejection comes back through the dead-letter topic: until it has, a re-publish only
        // re-stamps, so publish again now and then, as a user would
        long[] lastPublished = {0};
        await("the rejected chunk stored after a re-publish")
                .atMost(WAIT)
                .until(
                        () -> {
                            if (System.currentTimeMillis() - lastPublished[0] > 3_000) {
                                try (KafkaProducer<byte[], byte[]> producer =
                                        TestServices.producer()) {
                                    TestServices.send(
                                            producer,
                                            services.documentsTopic,
                                            "e/doc-5",
                                            "{\"tenant\": \"e\", \"id\": \"doc-5\", \"text\": \""
                                                    + POISONED
                                                    + "\"}");
                                }
                                lastPublished[0] = System.currentTimeMillis();
                            }
                            return count(
                                            "SELECT count(*) FROM \""
                                                    + services.chunksTable
                                                    + "\" WHERE tenant = 'e' AND doc_id = 'doc-5'")
                                    == 1;
                        });
        assertThat(
                        queryString(
                                "SELECT content FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = 'e' AND doc_id = 'doc-5'"))
                .isEqualTo(POISONED);
    }

    private static final String POISONED =
            "This text carries POISON and every endpoint refuses it.";

    /**
     * With every endpoint refusing it, document 5 of twelve in {@code tenant} is dead-lettered and
     * the rest indexed.
     */
    private static void assertPoisonedTextDeadLettered(String tenant) throws Exception {
        pool.servers().forEach(s -> s.configure(o -> o.withPoisonMarker("POISON")));
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = 0; i < 12; i++) {
                String text = i == 5 ? POISONED : "Harmless text number " + i + ".";
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        tenant + "/doc-" + i,
                        "{\"tenant\": \""
                                + tenant
                                + "\", \"id\": \"doc-"
                                + i
                                + "\", \"text\": \""
                                + text
                                + "\"}");
            }
        }
        await("all twelve documents written").atMost(WAIT).until(() -> indexed(tenant) == 12);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "'"))
                .isEqualTo(11);
        assertThat(
                        count(
                                "SELECT count(*) FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = '"
                                        + tenant
                                        + "' AND doc_id = 'doc-5'"))
                .isZero();

        // the letters of this tenant's documents (those of the other tests are theirs)
        List<ConsumerRecord<byte[], byte[]>> dead =
                TestServices.readTopic(
                        services.dlqTopic,
                        r ->
                                r.key() != null
                                        && new String(r.key(), StandardCharsets.UTF_8)
                                                .startsWith(tenant + "/"),
                        1,
                        WAIT);
        assertThat(dead).hasSize(1);
        JsonNode letter = new ObjectMapper().readTree(dead.get(0).value());
        assertThat(letter.get("reason").asText()).isEqualTo("BACKEND_REJECTED");
        assertThat(letter.get("detail").asText()).contains(tenant + "/doc-5").contains("chunk 0");
        assertThat(
                        new String(
                                java.util.Base64.getDecoder().decode(letter.get("value").asText()),
                                StandardCharsets.UTF_8))
                .contains("POISON");
    }

    private static void publish(String tenant, int documents) throws Exception {
        publish(tenant, 0, documents);
    }

    private static void publish(String tenant, int first, int documents) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = first; i < first + documents; i++) {
                TestServices.send(
                        producer,
                        services.documentsTopic,
                        tenant + "/doc-" + i,
                        "{\"tenant\": \""
                                + tenant
                                + "\", \"id\": \"doc-"
                                + i
                                + "\", \"text\": \"Document "
                                + i
                                + " of tenant "
                                + tenant
                                + ".\"}");
            }
        }
    }

    private static long indexed(String tenant) throws Exception {
        return count(
                "SELECT count(*) FROM \""
                        + services.documentsTable
                        + "\" WHERE tenant = '"
                        + tenant
                        + "'");
    }
}
