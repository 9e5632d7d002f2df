package io.ragstream.sink;

import org.apache.flink.core.execution.JobClient;

/** Whether a job has reached a terminal state (failed, cancelled, finished). */
public final class JobStatusCheck {

    private JobStatusCheck() {}

    public static boolean stopped(JobClient job) {
        try {
            return job.getJobStatus().get().isGloballyTerminalState();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (Exception e) {
            return true; // a job whose status cannot be read is not going to index anything
        }
    }
}
