package io.ragstream.cli;

import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.server.EmbeddingServer;
import io.ragstream.embed.server.EmbeddingServerOptions;
import io.ragstream.embed.server.ModelKind;
import io.ragstream.testing.JobProcess;
import io.ragstream.testing.PoolConfig;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/ragstream run} as a user re-indexes: pipeline A fills table t1 and is killed; the same
 * topics pointed at a new table t2 with int8 vectors is a new pipeline, which must not take A's
 * checkpoint (both keep theirs under one {@code checkpoint.dir}) and reads every document from the
 * earliest offset with a consumer group of its own; A started again resumes from its own checkpoint
 * and offsets, re-writing nothing it had written.
 */
class ReindexIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int DOCUMENTS = 20;
    private static final String TENANT = "reindex";

    @Test
    void aNewTableIsANewPipelineThatReadsEveryDocumentWhileTheOldOneResumesItsOwn()
            throws Exception {
        TestServices services = new TestServices("reindex");
        Path work =
                Files.createDirectories(Path.of("target", "reindex", services.name))
                        .toAbsolutePath();
        Path checkpoints = work.resolve("checkpoints");
        services.createTopics(1, services.documentsTopic);
        try (EmbeddingServer embeddings =
                        EmbeddingServer.start(
                                EmbeddingServerOptions.defaults()
                                        .withModel(ModelKind.SYNTHETIC)
                                        .withLatency(Duration.ofMillis(2), Duration.ZERO));
                KafkaProducer<byte[], byte[]> producer = TestServices.producer()) {
            Path pool = PoolConfig.write(work, embeddings);
            for (int i = 0; i < DOCUMENTS; i++) {
                publish(producer, services, "doc-" + i);
            }
            String t2 = services.name + "_t2";
            // one checkpoint root for both, given once as a file: URI and once as a path
            List<String> settingsA = settings(services, "checkpoint.dir=" + checkpoints.toUri());
            List<String> settingsB =
                    settings(
                            services,
                            "checkpoint.dir=" + checkpoints,
                            "postgres.documents-table=" + t2 + "_documents",
                            "postgres.chunks-table=" + t2 + "_chunks",
                            "quantization=int8");
            RagstreamConfig configA = RagstreamConfig.load(pool, settingsA, Map.of());
            RagstreamConfig configB = RagstreamConfig.load(pool, settingsB, Map.of());
            PipelineIdentity a = PipelineIdentity.of(configA);
            PipelineIdentity b = PipelineIdentity.of(configB);
            String groupA = PipelineIdentity.consumerGroup(configA);
            String groupB = PipelineIdentity.consumerGroup(configB);
            assertThat(groupA).isEqualTo("ragstream-" + a.id()).isNotEqualTo(groupB);

            Path homeA = Files.createDirectories(work.resolve("a"));
            Path homeB = Files.createDirectories(work.resolve("b"));
            List<String> snapshot;
            try (JobProcess jobA = new JobProcess(homeA, runArguments(pool, settingsA), "");
                    JobProcess jobB = new JobProcess(homeB, runArguments(pool, settingsB), "")) {
                jobA.start();
                TestServices.await(
                        "pipeline A to index every document into t1",
                        WAIT,
                        () -> {
                            assertThat(jobA.isAlive())
                                    .as("bin/ragstream run: %s", jobA.output())
                                    .isTrue();
                            return liveDocuments(services.documentsTable) == DOCUMENTS;
                        });
                TestServices.await(
                        "A's consumer group to commit the end of the topic",
                        WAIT,
                        () -> committed(groupA, services.documentsTopic) == DOCUMENTS);
                snapshot = rows(services.documentsTable);
                jobA.kill();
                assertThat(output(homeA, 1))
                        .contains(
                                "new pipeline "
                                        + a.id()
                                        + ": reading "
                                        + services.documentsTopic
                                        + " from the earliest offset into "
                                        + services.chunksTable);
                assertThat(
                                Files.readString(
                                        checkpoints
                                                .resolve(a.id())
                                                .resolve(LocalFlink.IDENTITY_FILE)))
                        .contains(
                                "chunks-table=" + services.chunksTable, "consumer-group=" + groupA)
                        .doesNotContainIgnoringCase("password")
                        .doesNotContain("user=");

                long textsOfA = embeddings.stats().snapshot().texts();
                jobB.start();
                TestServices.await(
                        "pipeline B to re-index every document into t2",
                        WAIT,
                        () -> liveDocuments(t2 + "_documents") == DOCUMENTS);
                TestServices.await(
                        "B's consumer group to commit the end of the topic",
                        WAIT,
                        () -> committed(groupB, services.documentsTopic) == DOCUMENTS);
                jobB.kill();
                assertThat(output(homeB, 1))
                        .contains(
                                "new pipeline "
                                        + b.id()
                                        + ": reading "
                                        + services.documentsTopic
                                        + " from the earliest offset into "
                                        + t2
                                        + "_chunks")
                        .doesNotContain("resuming");
                assertThat(documentIds(t2 + "_documents"))
                        .isEqualTo(documentIds(services.documentsTable));
                assertThat(rows(services.documentsTable))
                        .as("t1 while B re-indexed")
                        .isEqualTo(snapshot);
                assertThat(committed(groupA, services.documentsTopic))
                        .as("A's offsets")
                        .isEqualTo(DOCUMENTS);
                long textsOfB = embeddings.stats().snapshot().texts() - textsOfA;
                assertThat(textsOfB)
                        .as("chunks B embedded (one a document)")
                        .isGreaterThanOrEqualTo(DOCUMENTS);

                long textsBeforeResume = embeddings.stats().snapshot().texts();
                jobA.start();
                TestServices.await("A to resume", WAIT, () -> output(homeA, 2).contains("job "));
                assertThat(output(homeA, 2))
                        .contains(
                                "resuming "
                                        + a.description()
                                        + " from "
                                        + checkpoints.resolve(a.id()));
                publish(producer, services, "doc-after");
                TestServices.await(
                        "A to index the document published after its restart",
                        WAIT,
                        () -> liveDocuments(services.documentsTable) == DOCUMENTS + 1);
                List<String> after = rows(services.documentsTable);
                after.removeIf(row -> row.startsWith("doc-after "));
                assertThat(after)
                        .as("A's rows after it resumed: none written again")
                        .isEqualTo(snapshot);
                // besides, A's start checked the model served against its index: the check's
                // fixed text and 3 stored chunks' texts (ServedModelCheck)
                assertThat(embeddings.stats().snapshot().texts() - textsBeforeResume - (1 + 3))
                        .as("chunks embedded after A resumed: only the new document's")
                        .isEqualTo(1);
                assertThat(liveDocuments(t2 + "_documents"))
                        .as("t2, whose pipeline is stopped")
                        .isEqualTo(DOCUMENTS);
            }
        } finally {
            services.deleteTopics(services.documentsTopic, services.dlqTopic, services.statusTopic);
            services.dropTables();
            try (Connection c = TestServices.connect();
                    Statement st = c.createStatement()) {
                st.execute(
                        "DROP TABLE IF EXISTS "
                                + services.name
                                + "_t2_chunks, "
                                + services.name
                                + "_t2_documents");
            }
        }
    }

    private static void publish(
            KafkaProducer<byte[], byte[]> producer, TestServices services, String id)
            throws Exception {
        TestServices.send(
                producer,
                services.documentsTopic,
                TENANT + "/" + id,
                "{\"tenant\": \""
                        + TENANT
                        + "\", \"id\": \""
                        + id
                        + "\", \"version\": 1, \"text\": \"Document "
                        + id
                        + " is about glaciers, valleys and the slow work of ice on rock.\"}");
    }

    /** The test's settings ({@code key=value}) but kafka.group-id: each pipeline picks its own. */
    private static List<String> settings(TestServices services, String... overrides) {
        List<String> args = services.jobArguments(overrides);
        List<String> settings = new ArrayList<>();
        for (int i = 1; i < args.size(); i += 2) { // --set key=value ...
            if (!args.get(i).startsWith("kafka.group-id=")) {
                settings.add(args.get(i));
            }
        }
        return settings;
    }

    private static List<String> runArguments(Path pool, List<String> settings) {
        List<String> args = new ArrayList<>(List.of("--config", pool.toString()));
        settings.forEach(setting -> args.addAll(List.of("--set", setting)));
        return args;
    }

    private static String output(Path home, int start) throws Exception {
        Path out = home.resolve("job-" + start + ".out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    private static long committed(String group, String topic) throws Exception {
        try (Admin admin = TestServices.admin()) {
            return admin
                    .listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get()
                    .entrySet()
                    .stream()
                    .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset())
                    .sum();
        }
    }

    private static long liveDocuments(String table) {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT count(*) FROM " + table + " WHERE NOT deleted")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1; // not created yet
        }
    }

    private static List<String> documentIds(String table) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT tenant, doc_id FROM " + table + " ORDER BY 1, 2")) {
            while (rs.next()) {
                ids.add(rs.getString(1) + "/" + rs.getString(2));
            }
        }
        return ids;
    }

    /** Each document's row as written: a re-write changes updated_at. */
    private static List<String> rows(String table) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT doc_id, version, chunk_count, updated_at FROM "
                                        + table
                                        + " ORDER BY doc_id")) {
            while (rs.next()) {
                rows.add(
                        rs.getString(1)
                                + " "
                                + rs.getLong(2)
                                + " "
                                + rs.getInt(3)
                                + " "
                                + rs.getTimestamp(4).toInstant());
            }
        }
        return rows;
    }
}
