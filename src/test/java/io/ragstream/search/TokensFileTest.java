package io.ragstream.search;

import io.ragstream.chunk.DocumentChunker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class TokensFileTest {
    @TempDir Path dir;
    private Instant written = Instant.now();

    @Test
    void aTokenIsAddedOrRevokedByChangingTheFileAndABrokenChangeKeepsTheTokensBefore()
            throws Exception {
        Path file = dir.resolve("tokens.txt");
        write(file, "acme " + DocumentChunker.sha256Hex("old"));
        TokensFile tokens = TokensFile.read(file, Duration.ZERO);
        assertThat(tokens.get().grant("Bearer old")).isNotNull();

        write(file, "acme " + DocumentChunker.sha256Hex("new"));
        assertThat(tokens.get().grant("Bearer old")).as("revoked").isNull();
        assertThat(tokens.get().grant("Bearer new").allows("acme")).isTrue();

        write(file, "acme " + DocumentChunker.sha256Hex("new").substring(1)); // cut short
        assertThat(tokens.get().grant("Bearer new")).as("a broken file keeps them").isNotNull();
        Files.delete(file);
        assertThat(tokens.get().grant("Bearer new")).as("so does a missing one").isNotNull();

        write(file, "* " + DocumentChunker.sha256Hex("ops"));
        assertThat(tokens.get().grant("Bearer new")).isNull();
        assertThat(tokens.get().grant("Bearer ops").allows("globex")).isTrue();
    }

    @Test
    void theFileIsLookedAtOnceAPeriodAtMost() throws Exception {
        Path file = dir.resolve("tokens.txt");
        write(file, "acme " + DocumentChunker.sha256Hex("old"));
        TokensFile tokens = TokensFile.read(file, Duration.ofHours(1));

        write(file, "acme " + DocumentChunker.sha256Hex("new"));
        assertThat(tokens.get().grant("Bearer old")).isNotNull();
        assertThat(tokens.get().grant("Bearer new")).isNull();
    }

    /** Each write a second later than the one before, whatever the file system's clock. */
    private void write(Path file, String line) throws Exception {
        Files.writeString(file, line + "\n");
        written = written.plusSeconds(1);
        Files.setLastModifiedTime(file, FileTime.from(written));
    }
}
