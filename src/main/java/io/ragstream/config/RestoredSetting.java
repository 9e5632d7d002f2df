package io.ragstream.config;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.util.ExceptionUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A setting an operator's state depends on, kept beside that state (in union list state, so every
 * subtask sees it after a rescale) and checked when the state is restored: Flink restores a
 * savepoint into a job whatever its settings now say.
 */
public final class RestoredSetting {
    private RestoredSetting() {}

    /**
     * Keeps {@code current} under {@code name}; when the state is restored, first refuses what it
     * held where {@code refusal} says, failing the job for good (a restart would restore the same
     * state). A null {@code current} (not known now) keeps what was held, unchecked.
     */
    public static void keep(
            FunctionInitializationContext context,
            String name,
            String current,
            Function<String, Optional<ConfigException>> refusal)
            throws Exception {
        ListState<String> held =
                context.getOperatorStateStore()
                        .getUnionListState(new ListStateDescriptor<>(name, Types.STRING));
        List<String> restored = new ArrayList<>();
        held.get().forEach(restored::add); // none in state of a version before the setting was kept
        if (current == null) {
            held.update(restored.stream().distinct().toList());
            return;
        }
        for (String value : restored) {
            Optional<ConfigException> refused = refusal.apply(value);
            if (refused.isPresent()) {
                throw new SuppressRestartsException(refused.get());
            }
        }
        held.update(List.of(current));
    }

    /** Whether a job failed because {@link #keep} refused the state it was restored from. */
    public static boolean refusedIn(Throwable jobFailure) {
        return ExceptionUtils.findThrowable(jobFailure, SuppressRestartsException.class)
                .map(Throwable::getCause)
                .filter(ConfigException.class::isInstance)
                .isPresent();
    }
}
