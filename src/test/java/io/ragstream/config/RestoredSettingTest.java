package io.ragstream.config;

import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.runtime.execution.SuppressRestartsException;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

class RestoredSettingTest {
    private static final ConfigException OTHER_INDEX =
            new ConfigException("postgres.chunks-table", "belongs to another index");

    @Test
    void aJobFailedOnARefusedRestoreIsToldApartFromOtherFailures() {
        assertThat(
                        RestoredSetting.refusedIn(
                                jobFailure(new SuppressRestartsException(OTHER_INDEX))))
                .isTrue();
        assertThat(RestoredSetting.refusedIn(jobFailure(OTHER_INDEX)))
                .as("a configuration error at the start, with restarts")
                .isFalse();
        assertThat(
                        RestoredSetting.refusedIn(
                                jobFailure(
                                        new SuppressRestartsException(
                                                new IllegalStateException("broken")))))
                .isFalse();
    }

    private static ExecutionException jobFailure(Throwable cause) {
        return new ExecutionException(
                new JobExecutionException(new JobID(), "Job execution failed.", cause));
    }
}
