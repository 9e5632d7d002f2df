package io.ragstream.testing;

import java.util.List;

/**
 * What the job jar holds: the data path, and none of the tools. pom.xml's shade filter lists the
 * same tool packages; ArchitectureTest keeps the job's code off them, JobJarIT checks the built
 * jar.
 */
public final class JobJar {
    private JobJar() {}

    /** The job's entry point, the jar's Main-Class ({@code flink run}, {@code cluster submit}). */
    public static final String MAIN_CLASS = "io.ragstream.job.RagstreamJob";

    /** The data path's packages, subpackages included: what a cluster runs. */
    public static final List<String> JOB_PACKAGES =
            List.of(
                    "io.ragstream.config",
                    "io.ragstream.ingest",
                    "io.ragstream.chunk",
                    "io.ragstream.embed",
                    "io.ragstream.quantize",
                    "io.ragstream.sink",
                    "io.ragstream.job");

    /**
     * The tools' packages, subpackages included: they run from bin/ragstream's classpath, never on
     * a cluster (the CLI, the cluster's REST client, the benchmarks, search, the corpus readers
     * behind {@code produce}, the stand-in embedding server).
     */
    public static final List<String> TOOL_PACKAGES =
            List.of(
                    "io.ragstream.cli",
                    "io.ragstream.cluster",
                    "io.ragstream.bench",
                    "io.ragstream.search",
                    "io.ragstream.corpus",
                    "io.ragstream.embed.server");

    /**
     * Libraries only the tools use: picocli, progressbar and its terminal, search's connection
     * pool.
     */
    public static final List<String> TOOL_LIBRARIES =
            List.of("picocli", "me.tongfei.progressbar", "org.jline", "com.zaxxer.hikari");

    /** Whether a class (by its binary name) belongs to a tool. */
    public static boolean isTool(String className) {
        return TOOL_PACKAGES.stream().anyMatch(p -> className.startsWith(p + "."));
    }
}
