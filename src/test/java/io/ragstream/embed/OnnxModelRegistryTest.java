package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry's counting, with stand-in models: loading the real one is {@link
 * OnnxMiniLmEmbedderTest}'s.
 */
class OnnxModelRegistryTest {

    /**
     * A stand-in for a loaded model: which options it was loaded for, and whether it was closed.
     */
    static final class Loaded {
        final OnnxModelOptions options;
        boolean closed;

        Loaded(OnnxModelOptions options) {
            this.options = options;
        }
    }

    private final List<Loaded> loads = new ArrayList<>();
    private final OnnxModelRegistry<Loaded> registry =
            new OnnxModelRegistry<>(
                    options -> {
                        Loaded model = new Loaded(options);
                        loads.add(model);
                        return model;
                    },
                    model -> model.closed = true);

    private static final OnnxModelOptions A = OnnxModelOptions.builder().maxBatchSize(4).build();
    private static final OnnxModelOptions B = OnnxModelOptions.builder().maxBatchSize(8).build();

    @Test
    void equalOptionsShareOneModelUntilItsLastUserReleasesIt() {
        Loaded first = registry.acquire(A);
        Loaded second = registry.acquire(OnnxModelOptions.builder().maxBatchSize(4).build());
        assertThat(second).isSameAs(first);
        assertThat(loads).hasSize(1);
        assertThat(registry.references(A)).isEqualTo(2);

        registry.release(A, first);
        assertThat(first.closed).isFalse();
        registry.release(A, second);
        assertThat(first.closed).isTrue();
        assertThat(registry.references(A)).isZero();
    }

    @Test
    void otherOptionsGetAModelOfTheirOwn() {
        Loaded a = registry.acquire(A);
        Loaded b = registry.acquire(B);
        assertThat(b).isNotSameAs(a);
        assertThat(b.options).isEqualTo(B);
        registry.release(B, b);
        assertThat(b.closed).isTrue();
        assertThat(a.closed).isFalse();
    }

    @Test
    void theNextUserAfterTheLastReleaseLoadsTheModelAgain() {
        Loaded first = registry.acquire(A);
        registry.release(A, first);
        Loaded again = registry.acquire(A);
        assertThat(again).isNotSameAs(first);
        assertThat(again.closed).isFalse();
        assertThat(loads).hasSize(2);
    }

    @Test
    void aFailedLoadRegistersNothing() {
        AtomicInteger attempts = new AtomicInteger();
        OnnxModelRegistry<Loaded> failing =
                new OnnxModelRegistry<>(
                        options -> {
                            if (attempts.incrementAndGet() == 1) {
                                throw new IllegalStateException("resource missing");
                            }
                            return new Loaded(options);
                        },
                        model -> model.closed = true);

        assertThatThrownBy(() -> failing.acquire(A)).hasMessage("resource missing");
        assertThat(failing.references(A)).isZero();
        assertThat(failing.acquire(A)).isNotNull();
        assertThat(failing.references(A)).isOne();
    }

    @Test
    void releasingAModelItDoesNotHoldIsABug() {
        Loaded held = registry.acquire(A);
        assertThatThrownBy(() -> registry.release(B, held))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> registry.release(A, new Loaded(A)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(registry.references(A)).isOne();
    }
}
