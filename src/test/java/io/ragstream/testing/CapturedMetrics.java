package io.ragstream.testing;

import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A task environment for operator harnesses whose metric registry keeps the counters an operator
 * registers in its {@code ragstream} group, and its gauges, so tests can read them.
 */
public final class CapturedMetrics {
    private static final String GROUP = ".ragstream";
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Gauge<?>> gauges = new ConcurrentHashMap<>();
    private final MockEnvironment environment;

    public CapturedMetrics(String taskName) {
        TestingMetricRegistry registry =
                TestingMetricRegistry.builder()
                        .setRegisterConsumer(
                                (metric, name, group) -> {
                                    String scope =
                                            group.getLogicalScope(CharacterFilter.NO_OP_FILTER);
                                    int at = scope.indexOf(GROUP);
                                    if (at >= 0) {
                                        String subgroup = scope.substring(at + GROUP.length());
                                        String key =
                                                subgroup.isEmpty()
                                                        ? name
                                                        : subgroup.substring(1) + "." + name;
                                        if (metric instanceof Counter counter) {
                                            counters.put(key, counter);
                                        } else if (metric instanceof Gauge<?> gauge) {
                                            gauges.put(key, gauge);
                                        }
                                    }
                                })
                        .build();
        TaskMetricGroup taskMetrics =
                TaskManagerMetricGroup.createTaskManagerMetricGroup(
                                registry, "localhost", ResourceID.generate())
                        .addJob(new JobID(), "test-job")
                        .addTask(ExecutionAttemptID.randomId(), taskName);
        environment = new MockEnvironmentBuilder().setMetricGroup(taskMetrics).build();
    }

    public MockEnvironment environment() {
        return environment;
    }

    /**
     * A counter in the operator's {@code ragstream} group, e.g. "documentsIn" or
     * "deadLetteredByReason.EMPTY_TEXT".
     */
    public long counter(String name) {
        assertThat(counters).as("counters in group ragstream").containsKey(name);
        return counters.get(name).getCount();
    }

    /** A gauge's value now, e.g. "healthyEndpoints". */
    public Object gauge(String name) {
        assertThat(gauges).as("gauges in group ragstream").containsKey(name);
        return gauges.get(name).getValue();
    }
}
