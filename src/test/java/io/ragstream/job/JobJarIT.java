package io.ragstream.job;

import io.ragstream.testing.JobJar;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar a user submits to a cluster ({@code mvn package}'s shaded jar) holds the job and its
 * libraries: its main class, every class and resource of the data path, and none of the tools or
 * their libraries. An IT because the jar exists only after {@code package}.
 */
class JobJarIT {
    private static final Path CLASSES = Path.of("target/classes");
    private static String mainClass;
    private static Set<String> entries;

    @BeforeAll
    static void readTheJar() throws IOException {
        Path jar =
                Path.of(
                        System.getProperty(
                                "ragstream.job.jar", "target/ragstream-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("the job jar (mvn package)").isRegularFile();
        try (JarFile file = new JarFile(jar.toFile())) {
            mainClass = file.getManifest().getMainAttributes().getValue("Main-Class");
            entries =
                    file.stream()
                            .filter(e -> !e.isDirectory())
                            .map(JarEntry::getName)
                            .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void itsMainClassIsTheJob() {
        assertThat(mainClass).isEqualTo(JobJar.MAIN_CLASS);
        assertThat(entries).contains(JobJar.MAIN_CLASS.replace('.', '/') + ".class");
    }

    @Test
    void itHoldsNoToolAndNoToolLibrary() {
        List<String> left =
                Stream.concat(JobJar.TOOL_PACKAGES.stream(), JobJar.TOOL_LIBRARIES.stream())
                        .map(p -> p.replace('.', '/') + "/")
                        .toList();
        assertThat(entries).filteredOn(e -> left.stream().anyMatch(e::startsWith)).isEmpty();
    }

    @Test
    void itHoldsTheConnectorsTheDataPathReadsAndWritesWith() {
        assertThat(entries)
                .contains(
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        // run --backfill-table: flink-connector-jdbc's source and its key ranges
                        "org/apache/flink/connector/jdbc/core/datastream/source/JdbcSource.class",
                        "org/apache/flink/connector/jdbc/split/JdbcNumericBetweenParametersProvider.class",
                        "org/postgresql/Driver.class");
    }

    @Test
    void itHoldsTheWholeDataPathAndItsSchema() throws IOException {
        Set<String> dataPath;
        try (Stream<Path> files = Files.walk(CLASSES)) {
            dataPath =
                    files.filter(Files::isRegularFile)
                            .map(f -> CLASSES.relativize(f).toString().replace('\\', '/'))
                            .filter(name -> !JobJar.isTool(name.replace('/', '.')))
                            .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(dataPath)
                .contains(
                        "sql/schema.sql",
                        "io/ragstream/ingest/JsonLinesFormat.class",
                        "io/ragstream/ingest/TableSource.class");
        assertThat(dataPath)
                .as("left out of the jar")
                .filteredOn(e -> !entries.contains(e))
                .isEmpty();
        assertThat(entries)
                .as("in the jar, not in the data path")
                .filteredOn(e -> e.startsWith("io/ragstream/") && !dataPath.contains(e))
                .isEmpty();
    }
}
