package io.ragstream.job;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.ingest.DeadLetter;
import io.ragstream.ingest.KafkaRecord;
import io.ragstream.testing.CollectingSink;
import io.ragstream.testing.PoolConfig;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The whole topology through {@link RagstreamJob#build} with the real model but no broker and no
 * database: records from an in-memory source, updates and dead letters into collecting sinks. Parse
 * → chunk and diff → micro-batch → embed → split rejects → dead letters, in seconds.
 */
class RagstreamJobTest {
    private static final String TOPIC = "documents";
    private static final String SHARED =
            "Tide pools hold anemones, crabs and small fish between the rocks.";

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void documentsBecomeEmbeddedUpdatesAndBadRecordsDeadLetters() throws Exception {
        List<String[]> records =
                List.of(
                        record(
                                "acme/tides",
                                event(
                                        "acme",
                                        "tides",
                                        1,
                                        SHARED + "\n\nThe moon pulls the sea twice a day.")),
                        record(
                                "globex/tides",
                                event(
                                        "globex",
                                        "tides",
                                        1,
                                        "Quarterly sales of pumps rose by four percent.")),
                        record("acme/broken", "{\"id\": \"broken\", \"text\": "),
                        record("acme/empty", "{\"id\": \"empty\", \"text\": \"  \"}"),
                        // the same first paragraph: its chunk is not embedded again
                        record(
                                "acme/tides",
                                event(
                                        "acme",
                                        "tides",
                                        2,
                                        SHARED
                                                + "\n\nSpring tides come with the new and full moon.")),
                        record(
                                "globex/tides",
                                "{\"tenant\": \"globex\", \"id\": \"tides\", \"op\": \"delete\", \"version\": 2}"));
        CollectingSink<DocumentUpdate> updates = new CollectingSink<>();
        CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "chunk.size",
                                "16",
                                "chunk.overlap",
                                "0",
                                "embedding.batch-size",
                                "4",
                                "embedding.linger",
                                "20ms"));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        RagstreamJob.build(env, config, source(records), updates, deadLetters);
        env.execute("ragstream-topology");

        Map<String, List<DocumentUpdate>> byDocument =
                updates.collected().stream().collect(Collectors.groupingBy(DocumentUpdate::key));
        assertThat(byDocument).containsOnlyKeys("acme/tides", "globex/tides");
        List<DocumentUpdate> tides = byDocument.get("acme/tides");
        assertThat(tides).extracting(DocumentUpdate::version).containsExactly(1L, 2L);
        for (DocumentUpdate update : updates.collected()) {
            for (ChunkRow chunk : update.chunks()) {
                if (chunk.changed()) {
                    assertThat(chunk.embedding())
                            .as("%s chunk %d", update.key(), chunk.chunkNo())
                            .hasSize(384);
                    assertThat(norm(chunk.embedding()))
                            .as("L2-normalised")
                            .isCloseTo(1.0, within(1e-3));
                } else {
                    assertThat(chunk.embedding())
                            .as("an unchanged chunk is not embedded again")
                            .isNull();
                }
            }
        }
        assertThat(tides.get(0).changedChunks())
                .isEqualTo(tides.get(0).chunkCount())
                .isGreaterThan(1);
        assertThat(tides.get(1).changedChunks())
                .as("the shared paragraph is reused")
                .isLessThan(tides.get(1).chunkCount());
        assertThat(byDocument.get("globex/tides"))
                .extracting(DocumentUpdate::deleted)
                .containsExactly(false, true);

        assertThat(deadLetters.collected())
                .extracting(
                        letter ->
                                new String(letter.key(), StandardCharsets.UTF_8)
                                        + " "
                                        + letter.reason())
                .containsExactlyInAnyOrder("acme/broken MALFORMED_JSON", "acme/empty EMPTY_TEXT");
    }

    @Test
    void aCheckpointIntervalFlinkRefusesIsAConfigurationErrorNamingTheKey() {
        RagstreamConfig config = RagstreamConfig.of(Map.of("checkpoint.interval", "5 ms"));

        assertThatThrownBy(
                        () ->
                                RagstreamJob.buildFromConfig(
                                        StreamExecutionEnvironment.getExecutionEnvironment(),
                                        config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'checkpoint.interval'")
                .hasMessageContaining("must be at least 10 ms, was 5 ms");
    }

    @Test
    void onAClusterUnsetParallelismFollowsFlinks() {
        RagstreamConfig unset = RagstreamConfig.of(Map.of());
        assertThat(parallelisms(RagstreamJob.followFlinkParallelism(unset, 3), 3))
                .as("flink run -p 3, nothing set")
                .containsOnly(3);
        assertThat(
                        parallelisms(
                                RagstreamJob.followFlinkParallelism(
                                        RagstreamConfig.of(Map.of("job.parallelism", "2")), 3),
                                3))
                .as("job.parallelism set: it wins, and the embedding follows it")
                .containsOnly(2);
        RagstreamConfig embeddingSet =
                RagstreamJob.followFlinkParallelism(
                        RagstreamConfig.of(Map.of("embedding.parallelism", "1")), 4);
        assertThat(embeddingSet.get(RagstreamOptions.PARALLELISM)).isEqualTo(4);
        assertThat(embeddingSet.get(RagstreamOptions.EMBEDDING_PARALLELISM)).isEqualTo(1);
        assertThat(parallelisms(unset, 3))
                .as("a local run (not followed) keeps the defaults")
                .containsOnly(1);

        RagstreamConfig twoSlots =
                RagstreamJob.followFlinkParallelism(
                        RagstreamConfig.of(
                                PoolConfig.ollama(
                                        "[{url: 'http://gpu-1:11434', max-concurrency: 2}]")),
                        4);
        assertThat(twoSlots.get(RagstreamOptions.PARALLELISM)).isEqualTo(4);
        assertThat(twoSlots.get(RagstreamOptions.EMBEDDING_PARALLELISM))
                .as("each embedding subtask needs one of the pool's request slots")
                .isEqualTo(2);
    }

    /** The parallelism of every operator of the job built with the config. */
    private static List<Integer> parallelisms(RagstreamConfig config, int flinkParallelism) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(flinkParallelism);
        RagstreamJob.build(
                env, config, source(List.of()), new CollectingSink<>(), new CollectingSink<>());
        return env.getStreamGraph().getStreamNodes().stream()
                .map(StreamNode::getParallelism)
                .toList();
    }

    /** The records as a bounded source in their order, as one Kafka partition would give them. */
    private static DataGeneratorSource<KafkaRecord> source(List<String[]> records) {
        ArrayList<String[]> copy = new ArrayList<>(records);
        GeneratorFunction<Long, KafkaRecord> generator =
                i ->
                        new KafkaRecord(
                                TOPIC,
                                0,
                                i,
                                0L,
                                copy.get(i.intValue())[0].getBytes(StandardCharsets.UTF_8),
                                copy.get(i.intValue())[1].getBytes(StandardCharsets.UTF_8));
        return new DataGeneratorSource<>(
                generator, copy.size(), TypeInformation.of(KafkaRecord.class));
    }

    private static double norm(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }

    private static String[] record(String key, String value) {
        return new String[] {key, value};
    }

    private static String event(String tenant, String id, long version, String text) {
        return "{\"tenant\": \""
                + tenant
                + "\", \"id\": \""
                + id
                + "\", \"version\": "
                + version
                + ", \"title\": \""
                + id
                + "\", \"text\": \""
                + text.replace("\n", "\\n")
                + "\"}";
    }
}
