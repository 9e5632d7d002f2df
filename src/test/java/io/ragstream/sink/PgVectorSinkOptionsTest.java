package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.quantize.Quantization;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sink's settings: quantization and pgvector's HNSW bounds fail at start, naming the key. */
class PgVectorSinkOptionsTest {

    private static PgVectorSinkOptions options(String... settings) {
        Map<String, String> values = new HashMap<>(Map.of("postgres.password", "secret"));
        for (String s : settings) {
            values.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        }
        return PgVectorSinkOptions.from(RagstreamConfig.of(values, Map.of()), 384);
    }

    @Test
    void takesEachQuantizationAndTheHnswParameters() {
        PgVectorSinkOptions o = options("quantization=int8", "postgres.hnsw.m=24", "postgres.hnsw.ef-construction=48");
        assertThat(o.schema().quantization()).isEqualTo(Quantization.INT8);
        assertThat(o.hnswM()).isEqualTo(24);
        assertThat(o.hnswEfConstruction()).isEqualTo(48);
        assertThat(options().schema().quantization()).isEqualTo(Quantization.FLOAT16);
    }

    @Test
    void hnswParametersOutsidePgvectorsBoundsNameTheirKey() {
        assertThatThrownBy(() -> options("postgres.hnsw.m=1")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.m'").hasMessageContaining("between 2 and 100");
        assertThatThrownBy(() -> options("postgres.hnsw.ef-construction=1001")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.ef-construction'").hasMessageContaining("between 4 and 1000");
        assertThatThrownBy(() -> options("postgres.hnsw.m=32", "postgres.hnsw.ef-construction=40"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.ef-construction'").hasMessageContaining("2 × postgres.hnsw.m (64)");
        assertThatThrownBy(() -> options("quantization=int4")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'quantization'");
    }
}
