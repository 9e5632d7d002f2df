package io.ragstream.sink;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

final class PreparedTransactionSerializer implements SimpleVersionedSerializer<PreparedTransaction> {
    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(PreparedTransaction transaction) {
        return transaction.gid().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public PreparedTransaction deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown version " + version + " of the pgvector sink's committable");
        }
        return new PreparedTransaction(new String(serialized, StandardCharsets.UTF_8));
    }
}
