package io.ragstream.search;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * {@code serve-search --tokens}: the file's {@link TenantTokens}, read again when the file changes
 * (looked at once a {@code checkEvery} at most, by its modification time), so a token is added or
 * revoked without a restart, and a Kubernetes secret's update (a new file behind the same name)
 * takes effect too. A file that no longer reads keeps the tokens read before, with a warning: a
 * half-written file must not lock every client out, nor open the service.
 */
public final class TokensFile implements Supplier<TenantTokens> {
    private static final Logger LOG = LoggerFactory.getLogger(TokensFile.class);

    private final Path file;
    private final long checkEveryNanos;
    private volatile TenantTokens tokens;
    private FileTime modified; // null while the file is missing
    private volatile long checkedAt;

    private TokensFile(Path file, Duration checkEvery, TenantTokens tokens, FileTime modified) {
        this.file = file;
        this.checkEveryNanos = checkEvery.toNanos();
        this.tokens = tokens;
        this.modified = modified;
        this.checkedAt = System.nanoTime();
    }

    /**
     * The file's tokens now; one that cannot be read or used is refused ({@link
     * TenantTokens#read}).
     */
    public static TokensFile read(Path file, Duration checkEvery) throws IOException {
        FileTime modified = Files.getLastModifiedTime(file);
        return new TokensFile(file, checkEvery, TenantTokens.read(file), modified);
    }

    @Override
    public TenantTokens get() {
        if (System.nanoTime() - checkedAt >= checkEveryNanos) {
            synchronized (this) {
                if (System.nanoTime() - checkedAt >= checkEveryNanos) {
                    readIfChanged();
                    checkedAt = System.nanoTime();
                }
            }
        }
        return tokens;
    }

    /** Warns once per change that cannot be used, not at every look. */
    private void readIfChanged() {
        try {
            FileTime now;
            try {
                now = Files.getLastModifiedTime(file);
            } catch (NoSuchFileException e) {
                if (modified != null) {
                    modified = null;
                    LOG.warn("serve-search: {} is gone; the tokens read before stay", file);
                }
                return;
            }
            if (now.equals(modified)) {
                return;
            }
            modified = now;
            tokens = TenantTokens.read(file);
            LOG.info("serve-search: {} tokens read again from {}", tokens.size(), file);
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "serve-search: {} changed and cannot be used ({}); the tokens read before"
                            + " stay",
                    file,
                    e.getMessage());
        }
    }
}
