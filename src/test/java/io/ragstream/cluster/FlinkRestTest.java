package io.ragstream.cluster;

import io.ragstream.testing.StubHttpServer;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A cluster's refusal is reported by the cause a user can act on, not by the handler that wrapped
 * it; a job that could not get its task slots is refused before it is submitted. The cluster is a
 * stub answering as Flink's REST API does (ClusterIT submits to a real one).
 */
class FlinkRestTest {

    @Test
    void theJobsOwnErrorWinsOverItsCauses() {
        String trace =
                """
                org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.
                \tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:127)
                Caused by: org.apache.flink.util.FlinkRuntimeException: Could not execute application.
                Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: config key 'postgres.url': must start with jdbc:postgresql://
                Caused by: io.ragstream.config.ConfigException: config key 'postgres.url': must start with jdbc:postgresql://
                """;
        assertThat(FlinkRest.rootCause(trace))
                .isEqualTo("config key 'postgres.url': must start with jdbc:postgresql://");
    }

    @Test
    void otherwiseTheInnermostCause() {
        String trace =
                """
                <Exception on server side:
                org.apache.flink.runtime.rest.NotFoundException: Job 1234 not found
                \tat org.apache.flink.runtime.rest.handler.job.AbstractExecutionGraphHandler.lambda$handleRequest$1(AbstractExecutionGraphHandler.java:99)
                Caused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (1234)
                End of exception on server side>""";
        assertThat(FlinkRest.rootCause(trace))
                .isEqualTo(
                        "org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (1234)");
        assertThat(FlinkRest.rootCause("Job 1234 not found")).isEqualTo("Job 1234 not found");
    }

    @Test
    void slotsAJobStoppedAMomentAgoStillHoldsAreWaitedFor() throws Exception {
        try (StubHttpServer flink = new StubHttpServer()) {
            flink.reply(200, overview(1, 4, 1))
                    .then(200, overview(1, 4, 1))
                    .then(200, overview(1, 4, 4));

            new FlinkRest(URI.create(flink.url())).awaitFreeSlots(3, Duration.ofSeconds(10));

            assertThat(flink.requests()).hasSize(3).allMatch(r -> r.path().equals("/overview"));
        }
    }

    @Test
    void aJobWithoutItsSlotsIsRefusedSayingWhatTheClusterHas() {
        try (StubHttpServer flink = new StubHttpServer()) {
            flink.reply(200, overview(2, 8, 3));

            assertThatThrownBy(
                            () ->
                                    new FlinkRest(URI.create(flink.url()))
                                            .awaitFreeSlots(6, Duration.ofMillis(600)))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("needs 6 task slots")
                    .hasMessageContaining("3 free of 8 on 2 TaskManager(s)");
        }
    }

    @Test
    void onlyAStandaloneClusterWithFlinksDefaultSchedulerNeedsTheSlotsFree() throws Exception {
        try (StubHttpServer flink = new StubHttpServer()) {
            flink.reply(
                    200,
                    "[{\"key\": \"jobmanager.rpc.port\", \"value\": \"6123\"},"
                            + " {\"key\": \"parallelism.default\", \"value\": \" 2\"}]");
            Map<String, String> standalone = new FlinkRest(URI.create(flink.url())).configuration();

            assertThat(standalone).containsEntry("parallelism.default", "2");
            assertThat(FlinkRest.jobsNeedTheirSlotsFree(standalone)).isTrue();
        }
        for (Map<String, String> elastic :
                List.of(
                        Map.of("deployment.target", "kubernetes-session"),
                        Map.of("deployment.target", "yarn-session"),
                        Map.of("kubernetes.cluster-id", "rag"),
                        Map.of("jobmanager.scheduler", "adaptive"),
                        Map.of("scheduler-mode", "reactive"))) {
            assertThat(FlinkRest.jobsNeedTheirSlotsFree(elastic)).as("%s", elastic).isFalse();
        }
    }

    /** What GET /overview answers, in part. */
    private static String overview(int taskManagers, int total, int available) {
        return "{\"taskmanagers\": "
                + taskManagers
                + ", \"slots-total\": "
                + total
                + ", \"slots-available\": "
                + available
                + ", \"jobs-running\": 1, \"flink-version\": \"2.2.1\"}";
    }
}
