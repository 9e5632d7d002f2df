package io.ragstream.chunk;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a document costs in keyed state: Flink's own serializer for it, not Kryo, and its bytes. */
class DocumentStateTest {

    @Test
    void aDocumentCostsAboutThirtyTwoBytesPerChunkInState() throws Exception {
        TypeInformation<DocumentState> type = TypeInformation.of(DocumentState.class);
        assertThat(type).as("serialized as a POJO, not by Kryo").isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<DocumentState> serializer =
                type.createSerializer(new SerializerConfigImpl());

        for (int chunks : new int[] {1, 20, 200}) {
            DocumentState state =
                    new DocumentState(42L, false, new byte[chunks * DocumentState.HASH_BYTES]);
            DataOutputSerializer out = new DataOutputSerializer(64);
            serializer.serialize(state, out);
            assertThat(out.length())
                    .as("bytes for %d chunks", chunks)
                    .isBetween(
                            chunks * DocumentState.HASH_BYTES,
                            chunks * DocumentState.HASH_BYTES + 24);
        }
    }
}
