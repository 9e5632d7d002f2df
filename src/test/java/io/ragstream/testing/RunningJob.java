package io.ragstream.testing;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A job {@link JobFixture#start} started: its state, its pages of the REST API, and its end. */
public final class RunningJob {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long END_TIMEOUT_SECONDS = 120;

    private final JobClient client;
    private final JobFixture fixture;

    RunningJob(JobClient client, JobFixture fixture) {
        this.client = client;
        this.fixture = fixture;
    }

    public JobID id() {
        return client.getJobID();
    }

    public JobStatus status() throws Exception {
        return client.getJobStatus().get();
    }

    /** GET {@code /jobs/<id><path>} on the cluster's REST API, e.g. {@code rest("/exceptions")}. */
    public String rest(String path) throws Exception {
        return fixture.rest("/jobs/" + id() + path);
    }

    /** The same, read as JSON. */
    public JsonNode restJson(String path) throws Exception {
        return JSON.readTree(rest(path));
    }

    /** Fails unless every task runs its first attempt: a failure would have restarted it. */
    public void assertNoTaskRestarted() throws Exception {
        AccessExecutionGraph graph = fixture.cluster().getExecutionGraph(id()).get();
        for (AccessExecutionVertex task : graph.getAllExecutionVertices()) {
            assertThat(task.getCurrentExecutionAttempt().getAttemptNumber())
                    .as(
                            "attempt of %s: a restart would make it > 0",
                            task.getTaskNameWithSubtaskIndex())
                    .isZero();
        }
    }

    /** Stops the job with a savepoint in {@code dir}, as {@code flink stop} does: its path. */
    public String stopWithSavepoint(java.nio.file.Path dir) throws Exception {
        return client.stopWithSavepoint(
                        false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(END_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Cancels the job, unless it has ended already, and waits until it has: afterwards nothing of
     * it writes any more. The fixture calls it at the end of the job's scope; a test may call it
     * sooner.
     */
    public void cancel() throws Exception {
        if (!status().isGloballyTerminalState()) {
            try {
                client.cancel().get();
            } catch (ExecutionException e) {
                if (!status().isGloballyTerminalState()) { // else it ended meanwhile
                    throw e;
                }
            }
        }
        fixture.cluster().requestJobResult(id()).get(END_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
