package io.ragstream.testing;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

import java.util.List;

/**
 * A {@link KeyedBroadcastProcessFunction} in Flink's operator harness, like Flink's own
 * KeyedBroadcastOperatorTestHarness, but in the task environment the caller gives (a {@link
 * CapturedMetrics} one, so the operator's counters can be read).
 */
public final class KeyedBroadcastHarness<K, IN, B, OUT>
        extends AbstractStreamOperatorTestHarness<OUT> {
    private final CoBroadcastWithKeyedOperator<K, IN, B, OUT> twoInputs;

    public KeyedBroadcastHarness(
            KeyedBroadcastProcessFunction<K, IN, B, OUT> function,
            KeySelector<IN, K> keySelector,
            TypeInformation<K> keyType,
            MockEnvironment environment,
            org.apache.flink.api.common.state.MapStateDescriptor<?, ?>... broadcastStates)
            throws Exception {
        this(
                new CoBroadcastWithKeyedOperator<>(function, List.of(broadcastStates)),
                keySelector,
                keyType,
                environment);
    }

    private KeyedBroadcastHarness(
            CoBroadcastWithKeyedOperator<K, IN, B, OUT> operator,
            KeySelector<IN, K> keySelector,
            TypeInformation<K> keyType,
            MockEnvironment environment)
            throws Exception {
        super(operator, environment);
        this.twoInputs = operator;
        config.setStatePartitioner(0, keySelector);
        config.setStateKeySerializer(
                keyType.createSerializer(executionConfig.getSerializerConfig()));
        config.serializeAllConfigs();
    }

    public void processElement(IN value, long timestamp) throws Exception {
        StreamRecord<IN> record = new StreamRecord<>(value, timestamp);
        twoInputs.setKeyContextElement1(record);
        twoInputs.processElement1(record);
    }

    public void processBroadcastElement(B value, long timestamp) throws Exception {
        twoInputs.processElement2(new StreamRecord<>(value, timestamp));
    }

    public int numKeyedStateEntries() {
        return ((HeapKeyedStateBackend<?>)
                        ((AbstractStreamOperator<?>) operator).getKeyedStateBackend())
                .numKeyValueStateEntries();
    }
}
