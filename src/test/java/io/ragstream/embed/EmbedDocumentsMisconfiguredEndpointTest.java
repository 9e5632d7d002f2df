package io.ragstream.embed;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.EmbeddingBackendType;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.FailMode;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.embed.server.SyntheticEmbedder;
import io.ragstream.testing.CapturedMetrics;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EmbedDocuments} in Flink's async operator over real HTTP endpoints (the stand-in server),
 * one of them set up wrong: nothing is dead-lettered for it, the metric shows it, and when no
 * endpoint is left the job fails with a message that says what to fix.
 */
@Timeout(120)
class EmbedDocumentsMisconfiguredEndpointTest {
    private final List<EmbeddingServer> servers = new ArrayList<>();
    private CapturedMetrics metrics;
    private OneInputStreamOperatorTestHarness<EmbeddingBatch, EmbeddedDocument> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
            metrics.environment().close();
        }
        servers.forEach(EmbeddingServer::close);
    }

    @Test
    void aWrongDimensionEndpointDeadLettersNothingAndOnlyTheTextAHealthyOneRejectsIsRejected()
            throws Exception {
        EmbeddingServer wrongDimension = server(o -> o.withFailures(FailMode.WRONG_DIMENSION, 1));
        EmbeddingServer healthy = server(o -> o.withPoisonMarker("POISON"));
        open(Duration.ofMinutes(2), wrongDimension, healthy);

        List<ChunkRow> chunks = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            chunks.add(
                    changed(
                            i,
                            i == 4
                                    ? "Chunk 4 carries POISON."
                                    : "Chunk " + i + " of an edited document."));
        }
        harness.processElement(
                new EmbeddingBatch(List.of(new DocumentUpdate("t", "doc", 2, false, "{}", chunks))),
                0L);
        harness.endInput();

        EmbeddedDocument out = harness.extractOutputValues().get(0);
        assertThat(out.rejected())
                .extracting(EmbeddedDocument.RejectedChunk::chunkNo)
                .as("the input the healthy one refuses")
                .containsExactly(4);
        for (ChunkRow chunk : out.update().chunks()) {
            if (chunk.chunkNo() != 4) {
                assertThat(chunk.embedding())
                        .as("chunk " + chunk.chunkNo())
                        .isEqualTo(SyntheticEmbedder.vector(chunk.text()));
            }
        }
        assertThat(metrics.gauge("misconfiguredEndpoints")).isEqualTo(1);
        assertThat(metrics.gauge("healthyEndpoints")).isEqualTo(1);
        assertThat(metrics.counter("backendFailures.misconfigured")).isPositive();
        assertThat(wrongDimension.stats().snapshot().requests())
                .as("tried, then left alone")
                .isBetween(1L, 2L);
    }

    @Test
    void withNoEndpointLeftTheJobFailsNamingTheEndpointAndTheKeyToFix() throws Exception {
        EmbeddingServer refusing = server(o -> o.withApiKey("a-key-the-job-does-not-have"));
        open(Duration.ofSeconds(1), refusing);
        metrics.environment()
                .setExpectedExternalFailureCause(
                        Exception.class); // how the async operator fails the task

        harness.processElement(
                new EmbeddingBatch(
                        List.of(
                                new DocumentUpdate(
                                        "t",
                                        "doc",
                                        1,
                                        false,
                                        "{}",
                                        List.of(changed(0, "Nothing can embed this."))))),
                0L);
        harness.endInput();

        assertThat(harness.extractOutputValues()).as("no output, and no dead letter").isEmpty();
        Throwable failure = metrics.environment().getActualExternalFailureCause().orElseThrow();
        assertThat(failure)
                .rootCause()
                .isInstanceOf(EmbeddingFailure.class)
                .hasMessageContainingAll(
                        refusing.url().toString(),
                        "embedding.endpoints[0].url",
                        "HTTP 401",
                        "embedding.api-key-env",
                        "embedding.misconfigured-timeout");
        assertThat(metrics.gauge("misconfiguredEndpoints")).isEqualTo(1);
        assertThat(metrics.gauge("healthyEndpoints")).isEqualTo(0);
    }

    private void open(Duration misconfiguredTimeout, EmbeddingServer... endpoints)
            throws Exception {
        List<EmbeddingOptions.Endpoint> urls = new ArrayList<>();
        for (EmbeddingServer server : endpoints) {
            urls.add(new EmbeddingOptions.Endpoint(server.url().toString(), 2));
        }
        EmbeddingOptions options =
                new EmbeddingOptions(
                        EmbeddingBackendType.OLLAMA,
                        SyntheticEmbedder.MODEL_NAME,
                        2,
                        Duration.ofMillis(10),
                        1,
                        Duration.ofMinutes(2),
                        1,
                        0,
                        Duration.ofHours(1),
                        urls,
                        SyntheticEmbedder.DIMENSION,
                        Duration.ofSeconds(10),
                        null,
                        misconfiguredTimeout);
        metrics = new CapturedMetrics("embed");
        harness =
                new OneInputStreamOperatorTestHarness<>(
                        new AsyncWaitOperatorFactory<>(
                                new EmbedDocuments(options),
                                120_000,
                                4,
                                AsyncDataStream.OutputMode.ORDERED),
                        TypeInformation.of(EmbeddingBatch.class)
                                .createSerializer(new SerializerConfigImpl()),
                        metrics.environment());
        harness.open();
    }

    private EmbeddingServer server(UnaryOperator<EmbeddingServerOptions> setUp) throws IOException {
        EmbeddingServer server =
                EmbeddingServer.start(
                        setUp.apply(
                                EmbeddingServerOptions.defaults().withModel(ModelKind.SYNTHETIC)));
        servers.add(server);
        return server;
    }

    private static ChunkRow changed(int no, String text) {
        return new ChunkRow(no, text, DocumentChunker.sha256(text), null);
    }
}
