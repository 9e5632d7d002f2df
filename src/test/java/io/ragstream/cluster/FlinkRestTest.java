package io.ragstream.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster's refusal is reported by the cause a user can act on, not by the handler that wrapped
 * it.
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
}
