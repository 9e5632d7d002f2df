package io.ragstream.corpus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CorpusReaderTest {
    private static final String BOM = "\uFEFF";

    @TempDir Path dir;

    @Test
    void readsJsonLinesAndBeirCorpora() throws Exception {
        Path jsonl = dir.resolve("docs.jsonl");
        Files.writeString(
                jsonl,
                "{\"id\": \"a\", \"title\": \"A\", \"text\": \"alpha\", \"metadata\": {\"k\": 1}}\n"
                        + "\n"
                        + "{\"_id\": \"b\", \"tenant\": \"other\", \"text\": \"beta\"}\n");

        assertThat(new CorpusReader("acme").read(List.of(jsonl)))
                .containsExactly(
                        new CorpusDocument("acme", "a", "A", "alpha", "{\"k\":1}"),
                        new CorpusDocument("other", "b", null, "beta", "{}"));
    }

    @Test
    void ignoresTheByteOrderMarkWindowsToolsWrite() throws Exception {
        Path jsonl = dir.resolve("docs.jsonl");
        Files.writeString(jsonl, BOM + "{\"id\": \"a\", \"text\": \"alpha\"}\n");
        Path markdown = dir.resolve("guide.md");
        Files.writeString(markdown, BOM + "# Guide\n\nRead me.\n");
        Path sections = dir.resolve("sections.md");
        Files.writeString(sections, BOM + "## First\none\n## Second\ntwo\n");

        CorpusReader reader = new CorpusReader("acme");

        assertThat(reader.read(List.of(jsonl, markdown)))
                .containsExactly(
                        new CorpusDocument("acme", "a", null, "alpha", "{}"),
                        new CorpusDocument(
                                "acme", "guide.md", "Guide", "# Guide\n\nRead me.\n", "{}"));
        assertThat(reader.markdownSections(sections))
                .extracting(CorpusDocument::title)
                .containsExactly("First", "Second");
    }
}
