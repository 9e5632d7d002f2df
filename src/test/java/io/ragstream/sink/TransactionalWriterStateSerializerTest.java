package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionalWriterStateSerializerTest {
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
                new TransactionalWriterState(
                        3, List.of("ragstream:c:3:ab:1"), List.of(upsert, delete));

        TransactionalWriterState copy =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(state));

        assertThat(copy.subtask()).isEqualTo(3);
        assertThat(copy.prepared()).containsExactly("ragstream:c:3:ab:1");
        assertThat(copy.unwritten())
                .usingRecursiveFieldByFieldElementComparator()
                .containsExactly(upsert, delete);
    }

    @Test
    void refusesAnUnknownVersion() {
        assertThatThrownBy(() -> serializer.deserialize(99, new byte[0]))
                .hasMessageContaining("unknown version 99");
    }
}
