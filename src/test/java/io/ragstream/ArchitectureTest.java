package io.ragstream;

import io.ragstream.testing.JobJar;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The job jar holds the job: the data path's code never reaches into a tool's package or library
 * (it would fail on a cluster, where only the job jar is), and every package is one or the other.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.ragstream");
    }

    @Test
    void theDataPathDependsOnNoTool() {
        String[] tools =
                Stream.concat(JobJar.TOOL_PACKAGES.stream(), JobJar.TOOL_LIBRARIES.stream())
                        .map(p -> p + "..")
                        .toArray(String[]::new);
        noClasses()
                .that()
                .resideOutsideOfPackages(packages(JobJar.TOOL_PACKAGES))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(tools)
                .because("the job jar leaves the tools out: a cluster could not load them")
                .check(main);
    }

    @Test
    void everyPackageIsTheJobsOrAToolsOne() {
        classes()
                .should()
                .resideInAnyPackage(
                        packages(
                                Stream.concat(
                                                JobJar.JOB_PACKAGES.stream(),
                                                JobJar.TOOL_PACKAGES.stream())
                                        .toList()))
                .because(
                        "a new package is either in the job jar or left out of it (pom.xml's shade filter, testing/JobJar)")
                .check(main);
    }

    private static String[] packages(List<String> names) {
        return names.stream().map(p -> p + "..").toArray(String[]::new);
    }
}
