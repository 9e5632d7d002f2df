package io.ragstream.sink;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

final class SinkCommittableSerializer implements SimpleVersionedSerializer<SinkCommittable> {
    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SinkCommittable committable) throws IOException {
        DataOutputSerializer out =
                new DataOutputSerializer(64 + 48 * committable.documents().size());
        out.writeBoolean(committable.preparedTransaction() != null);
        if (committable.preparedTransaction() != null) {
            out.writeUTF(committable.preparedTransaction());
        }
        out.writeInt(committable.documents().size());
        for (DocumentStatus d : committable.documents()) {
            out.writeUTF(d.tenant());
            out.writeUTF(d.docId());
            out.writeLong(d.version());
            out.writeBoolean(d.deleted());
            out.writeInt(d.chunks());
            out.writeInt(d.embedded());
            out.writeInt(d.reused());
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public SinkCommittable deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException(
                    "unknown version " + version + " of the pgvector sink's committable");
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        String gid = in.readBoolean() ? in.readUTF() : null;
        int count = in.readInt();
        List<DocumentStatus> documents = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            documents.add(
                    new DocumentStatus(
                            in.readUTF(),
                            in.readUTF(),
                            in.readLong(),
                            in.readBoolean(),
                            in.readInt(),
                            in.readInt(),
                            in.readInt()));
        }
        return new SinkCommittable(gid, documents);
    }
}
