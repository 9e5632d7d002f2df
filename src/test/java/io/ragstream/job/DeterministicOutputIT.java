package io.ragstream.job;

import io.ragstream.testing.TestServices;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant 4: the same input gives the same chunk ids, texts and stored vectors, sequentially
 * (parallelism 1, batches of 1) or in parallel (parallelism 2, two embedding subtasks, batches of 32).
 */
class DeterministicOutputIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private final TestServices sequential = new TestServices("sequential");
    private final TestServices parallel = new TestServices("parallel");

    @AfterEach
    void dropTables() throws Exception {
        sequential.dropTables();
        parallel.dropTables();
    }

    @Test
    void sequentialAndParallelRunsStoreIdenticalRows(@InjectMiniCluster MiniCluster cluster, @TempDir Path dir) throws Exception {
        Path corpus = TestServices.testCorpusFile(dir);
        backfill(cluster, sequential, corpus, 1, "job.parallelism=1", "embedding.batch-size=1", "chunk.size=40");
        backfill(cluster, parallel, corpus, 2, "job.parallelism=2", "embedding.parallelism=2", "embedding.batch-size=32",
                "chunk.size=40");

        Map<String, String> a = rows(sequential);
        Map<String, String> b = rows(parallel);
        assertThat(a).hasSizeGreaterThan(20); // several chunks per document at 40 tokens
        assertThat(b).isEqualTo(a);
    }

    private static void backfill(MiniCluster cluster, TestServices services, Path corpus, int parallelism, String... settings)
            throws Exception {
        TestStreamEnvironment env = new TestStreamEnvironment(cluster, parallelism);
        RagstreamJob.buildBackfill(env, services.config(settings), List.of(corpus));
        env.execute("ragstream-" + services.name);
    }

    /** "doc/chunk" → "sha256 | stored vector as text", every row. */
    private static Map<String, String> rows(TestServices services) throws Exception {
        Map<String, String> rows = new TreeMap<>();
        try (Connection c = TestServices.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT doc_id, chunk_no, encode(content_sha256, 'hex'), embedding::text FROM \""
                     + services.chunksTable + "\"")) {
            while (rs.next()) {
                rows.put(rs.getString(1) + "/" + rs.getInt(2), rs.getString(3) + " | " + rs.getString(4));
            }
        }
        return rows;
    }
}
