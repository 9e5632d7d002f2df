package io.ragstream.sink;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SinkCommittableSerializerTest {
    private final SinkCommittableSerializer serializer = new SinkCommittableSerializer();

    @Test
    void roundTripsPreparedAndAlreadyCommittedWrites() throws Exception {
        List<DocumentStatus> documents =
                List.of(
                        new DocumentStatus("acme", "doc-1", 7, false, 12, 2, 10),
                        new DocumentStatus("acme", "doc-2", 9, true, 0, 0, 0));
        for (SinkCommittable committable :
                List.of(
                        new SinkCommittable("ragstream:c:0:ab:3", documents),
                        new SinkCommittable(null, documents),
                        new SinkCommittable("ragstream:c:1:cd:1", List.of()))) {
            assertThat(
                            serializer.deserialize(
                                    serializer.getVersion(), serializer.serialize(committable)))
                    .isEqualTo(committable);
        }
    }
}
