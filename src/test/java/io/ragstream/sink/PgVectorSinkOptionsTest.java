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
        PgVectorSinkOptions o =
                options(
                        "quantization=int8",
                        "postgres.hnsw.m=24",
                        "postgres.hnsw.ef-construction=48");
        assertThat(o.schema().quantization()).isEqualTo(Quantization.INT8);
        assertThat(o.hnswM()).isEqualTo(24);
        assertThat(o.hnswEfConstruction()).isEqualTo(48);
        assertThat(options().schema().quantization()).isEqualTo(Quantization.FLOAT16);
    }

    @Test
    void hnswParametersOutsidePgvectorsBoundsNameTheirKey() {
        assertThatThrownBy(() -> options("postgres.hnsw.m=1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.m'")
                .hasMessageContaining("between 2 and 100");
        assertThatThrownBy(() -> options("postgres.hnsw.ef-construction=1001"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.ef-construction'")
                .hasMessageContaining("between 4 and 1000");
        assertThatThrownBy(() -> options("postgres.hnsw.m=32", "postgres.hnsw.ef-construction=40"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.ef-construction'")
                .hasMessageContaining("2 × postgres.hnsw.m (64)");
        assertThatThrownBy(() -> options("quantization=int4"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'quantization'");
    }

    @Test
    void eachPipelineHasATransactionPrefixOfItsOwn() {
        String prefix = options().transactionPrefix();
        assertThat(prefix).startsWith("ragstream_chunks-").matches(TransactionIds.PREFIX);
        assertThat(options("kafka.group-id=reindex").transactionPrefix())
                .as("another consumer group")
                .isNotEqualTo(prefix);
        assertThat(options("quantization=int8").transactionPrefix())
                .as("another pipeline, so another group")
                .isNotEqualTo(prefix);
        assertThat(options("postgres.chunks-table=kb_chunks").transactionPrefix())
                .startsWith("kb_chunks-");
        assertThat(options("postgres.password=other", "checkpoint.interval=1s").transactionPrefix())
                .isEqualTo(prefix);
        assertThat(options("sink.transaction-prefix=kb.v2").transactionPrefix()).isEqualTo("kb.v2");
        assertThatThrownBy(() -> options("sink.transaction-prefix=kb:v2"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'sink.transaction-prefix'");
        assertThatThrownBy(() -> options("sink.transaction-prefix=kb'; DROP TABLE x; --"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'sink.transaction-prefix'");
    }

    @Test
    void aDriverOptionThatHidesUpdateCountsIsRefusedNamingTheUrl() {
        for (String url :
                new String[] {
                    "jdbc:postgresql://db/rag?reWriteBatchedInserts=true",
                    "jdbc:postgresql://db/rag?ssl=true&rewritebatchedinserts=TRUE&x=1"
                }) {
            assertThatThrownBy(() -> options("postgres.url=" + url))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("config key 'postgres.url'")
                    .hasMessageContaining("update counts");
        }
        assertThat(
                        options("postgres.url=jdbc:postgresql://db/rag?reWriteBatchedInserts=false")
                                .url())
                .contains("false");
        assertThat(options("postgres.url=jdbc:postgresql://db/rag?password=pw2").toString())
                .as("what logs and the web UI show")
                .doesNotContain("pw2")
                .doesNotContain("secret");
        assertThatThrownBy(() -> options("postgres.url=jdbc:postgresql://bob:pw1@db/rag"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.url'")
                .hasMessageNotContaining("pw1");
    }

    @Test
    void timeoutsAreCheckedAgainstEachOther() {
        PgVectorSinkOptions defaults = options();
        assertThat(defaults.timeouts()).isEqualTo(PostgresTimeouts.DEFAULTS);
        assertThat(defaults.timeouts().socket()).isGreaterThan(defaults.timeouts().statement());
        assertThatThrownBy(() -> options("postgres.socket-timeout=30s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.socket-timeout'")
                .hasMessageContaining("sink.statement-timeout");
        assertThatThrownBy(() -> options("sink.lock-timeout=0s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'sink.lock-timeout'");
        assertThat(options("sink.max-buffered-bytes=8mb").maxBufferedBytes()).isEqualTo(8L << 20);
    }
}
