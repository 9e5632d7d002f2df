package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A plain, versioned layout for the writer's state, so a savepoint outlives class changes. */
final class TransactionalWriterStateSerializer
        implements SimpleVersionedSerializer<TransactionalWriterState> {
    /** 2 added each update's kind and source topic, 3 the transactions' prefix. */
    private static final int VERSION = 3;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(TransactionalWriterState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        out.writeUTF(state.prefix());
        out.writeInt(state.subtask());
        out.writeInt(state.prepared().size());
        for (String gid : state.prepared()) {
            out.writeUTF(gid);
        }
        out.writeInt(state.unwritten().size());
        for (DocumentUpdate update : state.unwritten()) {
            writeUpdate(update, out);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public TransactionalWriterState deserialize(int version, byte[] serialized) throws IOException {
        if (version < 1 || version > VERSION) {
            throw new IOException(
                    "unknown version " + version + " of the pgvector sink's writer state");
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        String prefix = version >= 3 ? in.readUTF() : null;
        int subtask = in.readInt();
        List<String> prepared = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            prepared.add(in.readUTF());
        }
        List<DocumentUpdate> unwritten = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            unwritten.add(readUpdate(in, version));
        }
        if (prefix == null && !prepared.isEmpty()) {
            prefix =
                    TransactionIds.parse(prepared.get(0))
                            .map(TransactionIds.Gid::prefix)
                            .orElse(null);
        }
        return new TransactionalWriterState(prefix, subtask, prepared, unwritten);
    }

    private static void writeUpdate(DocumentUpdate u, DataOutputView out) throws IOException {
        writeString(u.tenant(), out);
        writeString(u.docId(), out);
        out.writeLong(u.version());
        out.writeBoolean(u.deleted());
        writeString(u.metadata(), out);
        out.writeInt(u.chunks().size());
        for (ChunkRow chunk : u.chunks()) {
            out.writeInt(chunk.chunkNo());
            out.writeBoolean(chunk.text() != null);
            if (chunk.text() != null) {
                writeString(chunk.text(), out);
            }
            out.writeInt(chunk.sha256().length);
            out.write(chunk.sha256());
            float[] embedding = chunk.embedding();
            out.writeInt(embedding == null ? -1 : embedding.length);
            if (embedding != null) {
                for (float v : embedding) {
                    out.writeFloat(v);
                }
            }
        }
        out.writeByte(u.kind().ordinal());
        out.writeBoolean(u.sourceTopic() != null);
        if (u.sourceTopic() != null) {
            writeString(u.sourceTopic(), out);
        }
    }

    private static DocumentUpdate readUpdate(DataInputView in, int version) throws IOException {
        String tenant = readString(in);
        String docId = readString(in);
        long documentVersion = in.readLong();
        boolean deleted = in.readBoolean();
        String metadata = readString(in);
        int count = in.readInt();
        List<ChunkRow> chunks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int chunkNo = in.readInt();
            String text = in.readBoolean() ? readString(in) : null;
            byte[] sha256 = new byte[in.readInt()];
            in.readFully(sha256);
            int dimension = in.readInt();
            float[] embedding = null;
            if (dimension >= 0) {
                embedding = new float[dimension];
                for (int d = 0; d < dimension; d++) {
                    embedding[d] = in.readFloat();
                }
            }
            chunks.add(new ChunkRow(chunkNo, text, sha256, embedding));
        }
        DocumentUpdate.Kind kind =
                version >= 2
                        ? DocumentUpdate.Kind.values()[in.readByte()]
                        : DocumentUpdate.Kind.WRITE;
        String sourceTopic = version >= 2 && in.readBoolean() ? readString(in) : null;
        return new DocumentUpdate(
                tenant, docId, documentVersion, deleted, metadata, chunks, kind, sourceTopic);
    }

    /** writeUTF stops at 64 KB; chunk texts and metadata may be longer. */
    private static void writeString(String s, DataOutputView out) throws IOException {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputView in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
