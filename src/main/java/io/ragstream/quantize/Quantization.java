package io.ragstream.quantize;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;

import com.pgvector.PGbit;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How vectors are stored in pgvector (sql/schema.sql has the DDL of each): the columns a vector is
 * written to, how it is bound to them, and what tells one mode's table from another's.
 */
public enum Quantization {
    FLOAT32("float32", "vector", "vector_cosine_ops", List.of("embedding")),
    FLOAT16("float16", "halfvec", "halfvec_cosine_ops", List.of("embedding")),
    /** int8 codes with the vector's scale and offset, and its sign bits for the HNSW index. */
    INT8(
            "int8",
            "bytea",
            "bit_hamming_ops",
            List.of("embedding", "embedding_scale", "embedding_offset", "embedding_bits")),
    /** The float16 vector; the HNSW index holds its sign bits (an expression index). */
    BINARY("binary", "halfvec", "bit_hamming_ops", List.of("embedding"));

    private final String configName;
    private final String embeddingType;
    private final String indexOpclass;
    private final List<String> vectorColumns;

    Quantization(
            String configName,
            String embeddingType,
            String indexOpclass,
            List<String> vectorColumns) {
        this.configName = configName;
        this.embeddingType = embeddingType;
        this.indexOpclass = indexOpclass;
        this.vectorColumns = vectorColumns;
    }

    public static Quantization parse(String value) {
        String name = value.trim().toLowerCase();
        return Arrays.stream(values())
                .filter(q -> q.configName.equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new ConfigException(
                                        RagstreamOptions.QUANTIZATION.key(),
                                        "'" + value + "' is not one of " + names()));
    }

    /** "float32 | float16 | int8 | binary". */
    public static String names() {
        return Arrays.stream(values())
                .map(Quantization::configName)
                .collect(Collectors.joining(" | "));
    }

    /**
     * The modes a table may have been created with, told by its {@code embedding} column's type and
     * its HNSW index's operator class: one, or two (float16, binary) when the index is missing, or
     * none when they fit no mode.
     */
    public static List<Quantization> ofTable(
            String embeddingType, Collection<String> hnswOpclasses) {
        return Arrays.stream(values())
                .filter(q -> q.embeddingType.equals(embeddingType))
                .filter(q -> hnswOpclasses.isEmpty() || hnswOpclasses.contains(q.indexOpclass))
                .toList();
    }

    /** The value of the {@code quantization} setting, e.g. float16. */
    public String configName() {
        return configName;
    }

    /**
     * The type of the {@code embedding} column, without its dimension: vector, halfvec or bytea.
     */
    public String embeddingType() {
        return embeddingType;
    }

    /** The operator class of the HNSW index: cosine on the vector, or Hamming on its sign bits. */
    public String indexOpclass() {
        return indexOpclass;
    }

    /** The columns a vector is written to, in the order {@link #bind} sets them. */
    public List<String> vectorColumns() {
        return vectorColumns;
    }

    /** Whether a search re-ranks the candidates the index found by a more precise vector. */
    public boolean reranks() {
        return this == INT8 || this == BINARY;
    }

    /**
     * The placeholders of {@link #vectorColumns()} in a statement, in order. A float vector goes as
     * a binary {@code real[]} cast to the column's type: formatting it as pgvector's text took
     * about 80 µs a vector (384 dimensions), a third of a row's write.
     */
    public String placeholders() {
        return this == INT8
                ? String.join(", ", Collections.nCopies(vectorColumns.size(), "?"))
                : "?::real[]::" + embeddingType;
    }

    /**
     * Sets the vector's parameters from {@code first} on, for {@link #placeholders()}; PostgreSQL
     * rounds a halfvec itself.
     */
    public void bind(PreparedStatement st, int first, float[] vector) throws SQLException {
        if (this == INT8) {
            Int8Vector int8 = Int8Vector.encode(vector);
            st.setBytes(first, int8.codes());
            st.setFloat(first + 1, int8.scale());
            st.setFloat(first + 2, int8.offset());
            st.setObject(first + 3, signBits(vector));
        } else {
            st.setObject(first, vector); // pgjdbc sends a float[] as a binary float4[]
        }
    }

    /** pgvector's {@code binary_quantize}: bit i is 1 where {@code vector[i] > 0}. */
    public static PGbit signBits(float[] vector) {
        boolean[] bits = new boolean[vector.length];
        for (int i = 0; i < vector.length; i++) {
            bits[i] = vector[i] > 0;
        }
        return new PGbit(bits);
    }

    @Override
    public String toString() {
        return configName;
    }
}
