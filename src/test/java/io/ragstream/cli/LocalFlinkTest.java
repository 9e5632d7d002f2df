package io.ragstream.cli;

import io.ragstream.config.ConfigException;
import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where a local run keeps its checkpoints, and which one it resumes from. */
class LocalFlinkTest {

    @TempDir Path root;

    private static PipelineIdentity pipeline(String chunksTable) {
        return PipelineIdentity.of(
                RagstreamConfig.of(Map.of("postgres.chunks-table", chunksTable), Map.of()));
    }

    /**
     * A chk-N folder of one job of the pipeline, with its _metadata when completed, written at
     * {@code millis}.
     */
    private Path checkpoint(
            PipelineIdentity pipeline, String job, int n, boolean completed, long millis)
            throws IOException {
        Path chk =
                Files.createDirectories(
                        LocalFlink.checkpointFolder(root, pipeline, "hashmap")
                                .resolve(job)
                                .resolve("chk-" + n));
        if (completed) {
            Files.setLastModifiedTime(
                    Files.writeString(chk.resolve("_metadata"), "m"), FileTime.fromMillis(millis));
        }
        return chk;
    }

    @Test
    void aPipelineResumesItsOwnNewestCompletedCheckpointOnly() throws IOException {
        PipelineIdentity a = pipeline("a_chunks");
        PipelineIdentity b = pipeline("b_chunks");
        checkpoint(a, "job1", 3, true, 1_000);
        Path newestOfA = checkpoint(a, "job2", 1, true, 2_000);
        checkpoint(a, "job2", 2, false, 0); // in progress when the job was killed
        checkpoint(b, "job3", 7, true, 9_000); // another pipeline's, newer

        assertThat(LocalFlink.latestCheckpoint(LocalFlink.checkpointFolder(root, a, "hashmap")))
                .contains(newestOfA);
        assertThat(LocalFlink.latestCheckpoint(LocalFlink.checkpointFolder(root, a, "rocksdb")))
                .as("another state backend's")
                .isEmpty();
    }

    @Test
    void aSavepointOfThePipelineOrTheOneItsLastRunStartedFromCountsUntilANewerCheckpoint()
            throws IOException {
        PipelineIdentity a = pipeline("a_chunks");
        Path folder = LocalFlink.checkpointFolder(root, a, "hashmap");
        checkpoint(a, "job1", 4, true, 1_000);
        Path stopped =
                Files.createDirectories(
                        folder.resolve(LocalFlink.SAVEPOINTS).resolve("savepoint-abc123"));
        Files.setLastModifiedTime(
                Files.writeString(stopped.resolve("_metadata"), "m"), FileTime.fromMillis(2_000));
        assertThat(LocalFlink.latestCheckpoint(folder))
                .as("a stop with a savepoint into the pipeline's folder")
                .contains(stopped);

        // a run from a savepoint elsewhere, killed before its first checkpoint: a job stopped with
        // a
        // savepoint drops its checkpoints, so that savepoint is the newest state there is
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere/savepoint-def456"));
        Files.setLastModifiedTime(
                Files.writeString(elsewhere.resolve("_metadata"), "m"), FileTime.fromMillis(3_000));
        Files.writeString(folder.resolve(LocalFlink.RESTORED_FROM), elsewhere + "\n");
        assertThat(LocalFlink.latestCheckpoint(folder)).contains(elsewhere);

        Path next = checkpoint(a, "job2", 5, true, 4_000);
        assertThat(LocalFlink.latestCheckpoint(folder))
                .as("once the resumed job took one")
                .contains(next);
    }

    @Test
    void aRefusedRestoreIsNoLongerThePipelinesNewestState() throws IOException {
        Path folder =
                Files.createDirectories(
                        LocalFlink.checkpointFolder(root, pipeline("b"), "hashmap"));
        Path otherIndex = Files.createDirectories(root.resolve("other/chk-7"));
        Files.writeString(otherIndex.resolve("_metadata"), "m");
        Files.writeString(folder.resolve(LocalFlink.RESTORED_FROM), otherIndex + "\n");

        LocalFlink.forgetRestore(folder, root.resolve("another/chk-1"));
        assertThat(LocalFlink.latestCheckpoint(folder))
                .as("a refusal of another state")
                .contains(otherIndex);

        LocalFlink.forgetRestore(folder, otherIndex);
        assertThat(LocalFlink.latestCheckpoint(folder)).isEmpty();
    }

    @Test
    void aNewPipelineFindsNoCheckpointWhateverOthersHave() throws IOException {
        checkpoint(pipeline("a_chunks"), "job1", 1, true, 1_000);
        PipelineIdentity fresh = pipeline("new_chunks");
        checkpoint(fresh, "job2", 1, false, 0); // killed before its first checkpoint completed

        assertThat(LocalFlink.latestCheckpoint(LocalFlink.checkpointFolder(root, fresh, "hashmap")))
                .isEmpty();
        assertThat(LocalFlink.latestCheckpoint(root.resolve("nothing-here"))).isEmpty();
    }

    @Test
    void eachPipelineHasAFolderOfItsOwn() {
        PipelineIdentity a = pipeline("a_chunks");
        assertThat(LocalFlink.checkpointFolder(root, a, "rocksdb"))
                .isEqualTo(root.resolve(a.id()).resolve("rocksdb"));
        assertThat(LocalFlink.checkpointFolder(root, pipeline("b_chunks"), "rocksdb"))
                .isNotEqualTo(LocalFlink.checkpointFolder(root, a, "rocksdb"));
    }

    @Test
    void theRootIsCheckpointDirAsAPathOrFileUriElseInTheHome() {
        Path home = root.resolve("home");
        assertThat(LocalFlink.checkpointRoot(RagstreamConfig.of(Map.of(), Map.of()), home))
                .isEqualTo(home.resolve(".ragstream/checkpoints"));
        assertThat(
                        LocalFlink.checkpointRoot(
                                RagstreamConfig.of(
                                        Map.of("checkpoint.dir", root + "/ckpt"), Map.of()),
                                home))
                .isEqualTo(root.resolve("ckpt"));
        assertThat(
                        LocalFlink.checkpointRoot(
                                RagstreamConfig.of(
                                        Map.of(
                                                "checkpoint.dir",
                                                root.resolve("ckpt").toUri().toString()),
                                        Map.of()),
                                home))
                .isEqualTo(root.resolve("ckpt"));
        assertThat(
                        LocalFlink.checkpointRoot(
                                RagstreamConfig.of(Map.of("checkpoint.dir", "rel/ckpt"), Map.of()),
                                home))
                .isEqualTo(Path.of("rel/ckpt").toAbsolutePath());
    }

    @Test
    void aCheckpointDirThatIsNotLocalNamesTheKey() {
        assertThatThrownBy(
                        () ->
                                LocalFlink.checkpointRoot(
                                        RagstreamConfig.of(
                                                Map.of("checkpoint.dir", "s3://bucket/ckpt"),
                                                Map.of()),
                                        root))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("checkpoint.dir")
                .hasMessageContaining("s3://bucket/ckpt");
        assertThatThrownBy(
                        () ->
                                LocalFlink.checkpointRoot(
                                        RagstreamConfig.of(Map.of("checkpoint.dir", " "), Map.of()),
                                        root))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("checkpoint.dir");
    }

    @Test
    void fromCheckpointTakesACompletedCheckpointOrSavepointOnly() throws IOException {
        Path done = checkpoint(pipeline("a_chunks"), "job1", 4, true, 1_000);
        Path unfinished = checkpoint(pipeline("a_chunks"), "job1", 5, false, 0);

        assertThat(LocalFlink.completedCheckpoint(done)).isEqualTo(done);
        assertThat(LocalFlink.completedCheckpoint(done.resolve("_metadata"))).isEqualTo(done);
        assertThatThrownBy(() -> LocalFlink.completedCheckpoint(unfinished))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--from-checkpoint")
                .hasMessageContaining("no _metadata")
                .hasMessageContaining(unfinished.toString());
        assertThatThrownBy(() -> LocalFlink.completedCheckpoint(root.resolve("missing")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not a folder");
    }

    @Test
    void theAdminClientCarriesTheUserKafkaProperties() {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "kafka.bootstrap-servers",
                                "broker:9093",
                                "kafka.properties.security.protocol",
                                "SASL_SSL",
                                "kafka.properties.sasl.jaas.config",
                                "${JAAS}"),
                        Map.of("JAAS", "jaas-secret"));

        assertThat(LocalFlink.adminProperties(config))
                .containsEntry("bootstrap.servers", "broker:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "jaas-secret")
                .containsEntry("request.timeout.ms", "5000");
    }
}
