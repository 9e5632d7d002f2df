package io.ragstream.bench;

import io.ragstream.testing.SciFactData;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test split as SOURCE.md describes it: 300 queries, 339 relevant pairs, CRLF qrels. */
class SciFactTest {
    private static final Path DATA = SciFactData.dir().orElse(null);

    @Test
    void readsTheThreeHundredTestQueriesAndTheirRelevantDocuments() throws IOException {
        assumeTrue(
                DATA != null,
                "no SciFact data beside the checkout (set -Dragstream.it.scifact=DIR)");
        SciFact scifact = SciFact.read(DATA);

        assertThat(scifact.documents()).isEqualTo(5183);
        assertThat(scifact.queries()).hasSize(300);
        assertThat(scifact.relevant().values().stream().mapToInt(Set::size).sum()).isEqualTo(339);
        assertThat(scifact.queries().get("1"))
                .isEqualTo("0-dimensional biomaterials show inductive properties.");
        assertThat(scifact.relevant().get("1")).containsExactly("31715818");
        assertThat(scifact.corpus()).isRegularFile();
    }

    @Test
    void qrelsSkipTheHeaderAndZeroScores(@TempDir Path dir) throws IOException {
        Path qrels = dir.resolve("test.tsv");
        Files.writeString(
                qrels,
                "query-id\tcorpus-id\tscore\r\n1\td1\t1\r\n1\td2\t0\r\n2\td3\t2\r\n",
                StandardCharsets.UTF_8);

        assertThat(SciFact.readQrels(qrels))
                .isEqualTo(Map.of("1", Set.of("d1"), "2", Set.of("d3")));
    }

    @Test
    void aFolderWithoutSciFactSaysWhatIsMissing(@TempDir Path dir) {
        assertThatThrownBy(() -> SciFact.read(dir))
                .hasMessageContaining("no SciFact corpus.jsonl.gz in " + dir)
                .hasMessageContaining("--data DIR");
    }
}
