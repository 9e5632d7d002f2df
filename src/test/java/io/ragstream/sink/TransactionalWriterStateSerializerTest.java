package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionalWriterStateSerializerTest {
    private static final String PREFIX = "kb_chunks-0a1b2c3d4e5f";
    private static final String GID = PREFIX + ":3:7:0123456789ab:1";

    private final TransactionalWriterStateSerializer serializer =
            new TransactionalWriterStateSerializer();

    @Test
    void roundTripsEveryKindOfUpdate() throws Exception {
        String longText = "x".repeat(70_000); // past writeUTF's 64 KB
        DocumentUpdate upsert =
                new DocumentUpdate(
                        "acme",
                        "doc-1",
                        7,
                        false,
                        "{\"lang\": \"en\"}",
                        List.of(
                                new ChunkRow(
                                        0,
                                        "changed",
                                        new byte[] {1, 2, 3},
                                        new float[] {0.5f, -0.25f}),
                                new ChunkRow(
                                        1,
                                        null,
                                        new byte[] {4},
                                        null), // unchanged: only re-stamped
                                new ChunkRow(
                                        2,
                                        longText,
                                        new byte[] {5},
                                        null))); // rejected by the backend
        DocumentUpdate delete = DocumentUpdate.delete("acme", "doc-2", 9);
        TransactionalWriterState state =
                new TransactionalWriterState(PREFIX, 3, List.of(GID), List.of(upsert, delete));

        TransactionalWriterState copy =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(state));

        assertThat(copy.prefix()).isEqualTo(PREFIX);
        assertThat(copy.subtask()).isEqualTo(3);
        assertThat(copy.prepared()).containsExactly(GID);
        assertThat(copy.unwritten())
                .usingRecursiveFieldByFieldElementComparator()
                .containsExactly(upsert, delete);
    }

    @Test
    void aStateOfVersion2TakesItsPrefixFromAPreparedTransactionsName() throws Exception {
        byte[] v2 = asVersion2(new TransactionalWriterState(PREFIX, 1, List.of(GID), List.of()));
        byte[] v2Idle = asVersion2(new TransactionalWriterState(PREFIX, 1, List.of(), List.of()));

        assertThat(serializer.deserialize(2, v2).prefix()).isEqualTo(PREFIX);
        assertThat(serializer.deserialize(2, v2).prepared()).containsExactly(GID);
        assertThat(serializer.deserialize(2, v2Idle).prefix()).as("nothing tells it").isNull();
    }

    /** Version 3 put the prefix before what version 2 wrote. */
    private byte[] asVersion2(TransactionalWriterState state) throws Exception {
        byte[] v3 = serializer.serialize(state);
        return Arrays.copyOfRange(v3, 2 + PREFIX.length(), v3.length);
    }

    @Test
    void refusesAnUnknownVersion() {
        assertThatThrownBy(() -> serializer.deserialize(99, new byte[0]))
                .hasMessageContaining("unknown version 99");
    }
}
