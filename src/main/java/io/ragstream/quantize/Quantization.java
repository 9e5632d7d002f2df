package io.ragstream.quantize;

import com.pgvector.PGhalfvec;
import com.pgvector.PGvector;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;

/** How vectors are stored in pgvector: the column type, its cosine operator class, the value. */
public enum Quantization {
    FLOAT32("vector", "vector_cosine_ops"),
    FLOAT16("halfvec", "halfvec_cosine_ops");

    private final String columnType;
    private final String cosineOpclass;

    Quantization(String columnType, String cosineOpclass) {
        this.columnType = columnType;
        this.cosineOpclass = cosineOpclass;
    }

    public static Quantization parse(String value) {
        return switch (value.trim().toLowerCase()) {
            case "float32" -> FLOAT32;
            case "float16" -> FLOAT16;
            case "int8", "binary" -> throw new ConfigException(RagstreamOptions.QUANTIZATION.key(),
                    "'" + value + "' is not built yet; use float32 or float16");
            default -> throw new ConfigException(RagstreamOptions.QUANTIZATION.key(),
                    "'" + value + "' is not one of float32 | float16 | int8 | binary");
        };
    }

    /** pgvector's type name, e.g. halfvec. */
    public String columnType() {
        return columnType;
    }

    public String cosineOpclass() {
        return cosineOpclass;
    }

    /** The JDBC parameter for a vector; PostgreSQL does the rounding to the stored type. */
    public Object toSqlValue(float[] vector) {
        return this == FLOAT16 ? new PGhalfvec(vector) : new PGvector(vector);
    }
}
