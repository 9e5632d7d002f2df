package io.ragstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerGroup;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.EmbeddingServerStats;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.TestServices;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.ragstream.job.EndToEndIT.count;
import static io.ragstream.testing.TestServices.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job against a pool of three real HTTP embedding endpoints (the project's own server, in
 * the shape of a GPU: 100 ms + 5 ms per text, two requests at a time, 503 past that): losing one
 * endpoint mid-stream loses nothing and the others carry on; losing all for a minute holds the
 * job back without failing it; a text an endpoint rejects for good is dead-lettered alone; and
 * no endpoint is ever sent more requests than it takes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int CAP = 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private static final TestServices SERVICES = new TestServices("pool");
    private static EmbeddingServerGroup pool;
    private static JobClient job;

    @BeforeAll
    static void start(@InjectMiniCluster MiniCluster cluster) throws Exception {
        pool = EmbeddingServerGroup.start(3, EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC)
                .withLatency(Duration.ofMillis(100), Duration.ofMillis(5)).withMaxConcurrency(CAP));
        StringBuilder yaml = new StringBuilder("embedding:\n  backend: ollama\n  model: ")
                .append(pool.get(0).options().modelName()).append("\n  endpoints:\n");
        for (EmbeddingServer server : pool.servers()) {
            yaml.append("    - {url: \"").append(server.url()).append("\", max-concurrency: ").append(CAP).append("}\n");
        }
        Path file = Files.createTempFile("pool", ".yaml");
        Files.writeString(file, yaml);
        // two embedding subtasks share each endpoint's two slots; no cache, so every chunk is a request
        RagstreamConfig config = SERVICES.config(file, "embedding.parallelism=2", "embedding.batch-size=4",
                "embedding.linger=20ms", "embedding.cache.max-entries=0", "embedding.request-timeout=5s");
        TestStreamEnvironment env = new TestStreamEnvironment(cluster, 2);
        RagstreamJob.buildFromConfig(env, config);
        job = env.executeAsync("ragstream-pool");
    }

    @AfterAll
    static void stop() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
        if (pool != null) {
            List<EmbeddingServerStats.Snapshot> stats = pool.stats();
            pool.close();
            // never driven past what an endpoint takes: no 503 for being busy, ever
            assertThat(stats).allSatisfy(s -> {
                assertThat(s.maxConcurrent()).isLessThanOrEqualTo(CAP);
                assertThat(s.rejected()).isZero();
            });
        }
        SERVICES.dropTables();
    }

    @Test
    @Order(1)
    void losingOneOfThreeEndpointsMidStreamLosesNothing() throws Exception {
        publish("a", 1500);
        await("the stream under way", WAIT, () -> indexed("a") > 0);
        EmbeddingServer lost = pool.get(1);
        assertThat(lost.stats().snapshot().requests()).as("it had its share of the work").isPositive();
        lost.down(); // with requests in flight to it
        long whenLost = indexed("a");
        assertThat(whenLost).as("still work left when the endpoint goes").isLessThan(1500);
        await("the other two finish the stream", WAIT, () -> indexed("a") == 1500);
        long requestsWhileDown = lost.stats().snapshot().requests();
        lost.up();
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE tenant = 'a' AND vector_dims(embedding) = 384"))
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
        await("the next documents indexed", WAIT, () -> indexed("b") == total);
        assertThat(lost.stats().snapshot().requests()).isGreaterThan(requestsWhileDown);
    }

    @Test
    @Order(2)
    void allEndpointsDownForAMinuteHoldsTheJobBackAndLosesNothing() throws Exception {
        pool.servers().forEach(EmbeddingServer::down);
        publish("c", 60);
        Thread.sleep(60_000);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        assertThat(indexed("c")).as("nothing can be embedded").isZero();

        pool.servers().forEach(EmbeddingServer::up);
        await("all of it once the pool is back", WAIT, () -> indexed("c") == 60);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE tenant = 'c'")).isEqualTo(60);
    }

    @Test
    @Order(3)
    void aTextTheEndpointsRejectForGoodIsDeadLetteredAndTheRestIsIndexed() throws Exception {
        pool.servers().forEach(s -> s.configure(o -> o.withPoisonMarker("POISON")));
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = 0; i < 12; i++) {
                String text = i == 5 ? "This text carries POISON and every endpoint refuses it." : "Harmless text number " + i + ".";
                TestServices.send(producer, SERVICES.documentsTopic, "d/doc-" + i,
                        "{\"tenant\": \"d\", \"id\": \"doc-" + i + "\", \"text\": \"" + text + "\"}");
            }
        }
        await("all twelve documents written", WAIT, () -> indexed("d") == 12);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE tenant = 'd'")).isEqualTo(11);
        assertThat(count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE tenant = 'd' AND doc_id = 'doc-5'")).isZero();

        List<ConsumerRecord<byte[], byte[]>> dead = TestServices.readTopic(SERVICES.dlqTopic, 1, WAIT);
        assertThat(dead).hasSize(1);
        JsonNode letter = new ObjectMapper().readTree(dead.get(0).value());
        assertThat(letter.get("reason").asText()).isEqualTo("BACKEND_REJECTED");
        assertThat(letter.get("detail").asText()).contains("d/doc-5").contains("chunk 0");
        assertThat(new String(java.util.Base64.getDecoder().decode(letter.get("value").asText()), StandardCharsets.UTF_8))
                .contains("POISON");
    }

    @Test
    @Order(4)
    void aRejectedTextIsEmbeddedWhenItsDocumentIsRepublishedOnceTheEndpointsTakeIt() throws Exception {
        pool.servers().forEach(s -> s.configure(o -> o.withPoisonMarker(null)));
        String text = "This text carries POISON and every endpoint refuses it.";
        // the rejection comes back through the dead-letter topic: until it has, a re-publish only
        // re-stamps, so publish again now and then, as a user would
        long[] lastPublished = {0};
        await("the rejected chunk stored after a re-publish", WAIT, () -> {
            if (System.currentTimeMillis() - lastPublished[0] > 3_000) {
                try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
                    TestServices.send(producer, SERVICES.documentsTopic, "d/doc-5",
                            "{\"tenant\": \"d\", \"id\": \"doc-5\", \"text\": \"" + text + "\"}");
                }
                lastPublished[0] = System.currentTimeMillis();
            }
            return count("SELECT count(*) FROM \"" + SERVICES.chunksTable + "\" WHERE tenant = 'd' AND doc_id = 'doc-5'") == 1;
        });
        assertThat(EndToEndIT.queryString("SELECT content FROM \"" + SERVICES.chunksTable
                + "\" WHERE tenant = 'd' AND doc_id = 'doc-5'")).isEqualTo(text);
    }

    private static void publish(String tenant, int documents) throws Exception {
        publish(tenant, 0, documents);
    }

    private static void publish(String tenant, int first, int documents) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            for (int i = first; i < first + documents; i++) {
                TestServices.send(producer, SERVICES.documentsTopic, tenant + "/doc-" + i, "{\"tenant\": \"" + tenant
                        + "\", \"id\": \"doc-" + i + "\", \"text\": \"Document " + i + " of tenant " + tenant + ".\"}");
            }
        }
    }

    private static long indexed(String tenant) throws Exception {
        return count("SELECT count(*) FROM \"" + SERVICES.documentsTable + "\" WHERE tenant = '" + tenant + "'");
    }
}
