package io.ragstream.sink;

import io.ragstream.quantize.Int8Vector;
import io.ragstream.quantize.Quantization;

import com.pgvector.PGvector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A few stored chunks of the configured model, each text with its vector as stored (decoded from
 * its quantization): what the model that built the index made of them, for comparing with what the
 * model served now makes of the same texts.
 */
public final class StoredVectors {
    private static final Logger LOG = LoggerFactory.getLogger(StoredVectors.class);

    private StoredVectors() {}

    /**
     * Up to {@code limit} stored chunks, text to vector; none where the table does not exist yet or
     * cannot be read now.
     */
    public static Map<String, float[]> sample(PgVectorSinkOptions options, int limit) {
        PgVectorSchema schema = options.schema();
        Quantization quantization = schema.quantization();
        boolean int8 = quantization == Quantization.INT8;
        String sql =
                "SELECT content, "
                        + (int8
                                ? "embedding, embedding_scale, embedding_offset"
                                : "embedding::vector")
                        + " FROM \""
                        + schema.chunksTable()
                        + "\" WHERE model = ? LIMIT ?";
        Map<String, float[]> sample = new LinkedHashMap<>();
        try (Connection c = options.connect()) {
            if (!PgVectorSchema.exists(c, schema.chunksTable())) {
                return sample;
            }
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, options.model());
                st.setInt(2, limit);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        sample.put(
                                rs.getString(1),
                                int8
                                        ? new Int8Vector(
                                                        rs.getBytes(2),
                                                        rs.getFloat(3),
                                                        rs.getFloat(4))
                                                .decode()
                                        : new PGvector(rs.getString(2)).toArray());
                    }
                }
            }
        } catch (SQLException e) {
            LOG.warn(
                    "Could not read stored chunks of {} ({}); the model served now is not compared"
                            + " with the one that built the index",
                    schema.chunksTable(),
                    e.getMessage());
        }
        return sample;
    }
}
