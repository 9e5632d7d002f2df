package io.ragstream.embed;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Models loaded once and shared, counted by reference: {@link #acquire} loads the model for its
 * options on first use and counts one more user; {@link #release} counts one less and closes the
 * model with its last user, so that the next {@link #acquire} loads it again. One instance per
 * class loader serves a JVM's handles ({@link OnnxMiniLmEmbedder#shared}), so that the parallel
 * subtasks of a Flink TaskManager load the 90 MB model once.
 *
 * <p>Thread-safe. A model is loaded while the registry is locked (a second user of the same options
 * waits for it rather than loading another), and closed outside the lock.
 *
 * @param <M> the loaded model
 */
final class OnnxModelRegistry<M> {

    private final Function<OnnxModelOptions, M> load;
    private final Consumer<M> close;

    /** Guarded by {@code this}. */
    private final Map<OnnxModelOptions, Entry<M>> models = new HashMap<>();

    private static final class Entry<M> {
        final M model;
        int references;

        Entry(M model) {
            this.model = model;
        }
    }

    OnnxModelRegistry(Function<OnnxModelOptions, M> load, Consumer<M> close) {
        this.load = Objects.requireNonNull(load, "load");
        this.close = Objects.requireNonNull(close, "close");
    }

    /**
     * The model for {@code options}, loaded now if no one holds it; {@link #release} it once. A
     * failed load registers nothing.
     */
    synchronized M acquire(OnnxModelOptions options) {
        Objects.requireNonNull(options, "options");
        Entry<M> entry = models.get(options);
        if (entry == null) {
            entry = new Entry<>(load.apply(options));
            models.put(options, entry);
        }
        entry.references++;
        return entry.model;
    }

    /**
     * One user less of {@code model}, which {@link #acquire} gave for {@code options}; the last one
     * closes it.
     */
    void release(OnnxModelOptions options, M model) {
        synchronized (this) {
            Entry<M> entry = models.get(options);
            if (entry == null || entry.model != model) {
                throw new IllegalStateException(
                        "the model for " + options + " is not held in this registry");
            }
            if (--entry.references > 0) {
                return;
            }
            models.remove(options);
        }
        close.accept(model);
    }

    /** Users of the model for {@code options}; 0 when none is loaded. */
    synchronized int references(OnnxModelOptions options) {
        Entry<M> entry = models.get(options);
        return entry == null ? 0 : entry.references;
    }
}
