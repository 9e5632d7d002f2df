package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An Ollama server's model changed under the same name (a newer version of the tag pulled) after it
 * built the index: the job must not start mixing the new model's vectors into the index. The stored
 * vectors are read back in each quantization that keeps them in another form.
 */
class ServedModelIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    @ParameterizedTest(name = "quantization={0}")
    @ValueSource(strings = {"float16", "int8"})
    void aModelChangedUnderTheSameNameIsRefusedBeforeTheJobStarts(String quantization)
            throws Exception {
        TestServices services = IT.services("servedmodel");
        services.createTopics(1, services.documentsTopic);
        try (EmbeddingServer built = serve(ModelKind.MINILM);
                EmbeddingServer changed = serve(ModelKind.SYNTHETIC)) {
            var job = IT.start(config(services, built, quantization));
            try (KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
                for (String id : new String[] {"tides", "pumps", "sales"}) {
                    TestServices.send(
                            producer,
                            services.documentsTopic,
                            "default/" + id,
                            "{\"id\": \"" + id + "\", \"text\": \"a document on " + id + "\"}");
                }
            }
            await("indexed").atMost(WAIT).until(() -> services.liveDocuments("doc_id").size() == 3);
            job.cancel();

            assertThatThrownBy(() -> IT.start(config(services, changed, quantization)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(
                            "config key 'embedding.endpoints[0].url': embeds with another model"
                                    + " than the one that built table "
                                    + services.chunksTable);
            IT.start(config(services, built, quantization)).cancel(); // the same model starts
        }
    }

    private static EmbeddingServer serve(ModelKind model) throws Exception {
        return EmbeddingServer.start(
                EmbeddingServerOptions.defaults()
                        .withModel(model)
                        .withServedModelName("all-minilm"));
    }

    private static RagstreamConfig config(
            TestServices services, EmbeddingServer server, String quantization) {
        return services.config(
                "quantization=" + quantization,
                "embedding.backend=ollama",
                "embedding.model=all-minilm",
                "embedding.dimension=384",
                "embedding.endpoints=[{url: '" + server.url() + "'}]");
    }
}
