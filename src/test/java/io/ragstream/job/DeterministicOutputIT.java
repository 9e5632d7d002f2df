package io.ragstream.job;

import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

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
 * (parallelism 1, batches of 1) or in parallel (parallelism 2, two embedding subtasks, batches of
 * 32).
 */
class DeterministicOutputIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(4);

    @Test
    void sequentialAndParallelRunsStoreIdenticalRows(@TempDir Path dir) throws Exception {
        Path corpus = TestServices.testCorpusFile(dir);
        TestServices sequential = IT.services("sequential");
        TestServices parallel = IT.services("parallel");
        IT.backfill(
                sequential.config("job.parallelism=1", "embedding.batch-size=1", "chunk.size=40"),
                List.of(corpus));
        IT.backfill(
                parallel.config(
                        "job.parallelism=2",
                        "embedding.parallelism=2",
                        "embedding.batch-size=32",
                        "chunk.size=40"),
                List.of(corpus));

        Map<String, String> a = rows(sequential);
        Map<String, String> b = rows(parallel);
        assertThat(a).hasSizeGreaterThan(20); // several chunks per document at 40 tokens
        assertThat(b).isEqualTo(a);
    }

    /** "doc/chunk" → "sha256 | stored vector as text", every row. */
    private static Map<String, String> rows(TestServices services) throws Exception {
        Map<String, String> rows = new TreeMap<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT doc_id, chunk_no, encode(content_sha256, 'hex'), embedding::text FROM \""
                                        + services.chunksTable
                                        + "\"")) {
            while (rs.next()) {
                rows.put(
                        rs.getString(1) + "/" + rs.getInt(2),
                        rs.getString(3) + " | " + rs.getString(4));
            }
        }
        return rows;
    }
}
