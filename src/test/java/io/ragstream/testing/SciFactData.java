package io.ragstream.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the SciFact dataset lies, read in place and never copied into the project: beside the
 * checkout, as the benches expect it, or where this workplace keeps it for a checkout elsewhere (a
 * CI clone). Tests that need it are skipped without it.
 */
public final class SciFactData {
    private SciFactData() {}

    public static Optional<Path> dir() {
        return Stream.of(
                        System.getProperty("ragstream.it.scifact", "../shared/data/scifact"),
                        "/work/shared/data/scifact")
                .map(Path::of)
                .filter(Files::isDirectory)
                .findFirst();
    }
}
