package io.ragstream.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which changed settings make restored state another index's, and how the refusal reads. */
class StoredIndexTest {

    private static final Map<String, String> BASE =
            Map.of(
                    "kafka.documents-topic", "docs",
                    "postgres.url", "jdbc:postgresql://db.example:5432/rag",
                    "postgres.chunks-table", "kb_chunks",
                    "postgres.documents-table", "kb_documents");

    private static StoredIndex index(String... overrides) {
        Map<String, String> values = new HashMap<>(BASE);
        for (String o : overrides) {
            int eq = o.indexOf('=');
            values.put(o.substring(0, eq), o.substring(eq + 1));
        }
        return StoredIndex.of(RagstreamConfig.of(values, Map.of()));
    }

    private static final String RESTORED = index().encoded();

    @Test
    void theSameIndexTakesItsStateWhereverTheDatabaseIsReachedAndWhateverItReads() {
        for (String change :
                List.of(
                        "postgres.url=jdbc:postgresql://replica.example:6432/rag?ssl=true",
                        "postgres.url=jdbc:postgresql://a:5432,b:5432/rag",
                        "kafka.documents-topic=renamed",
                        "kafka.cdc-topics=app.public.articles",
                        "sink.mode=idempotent")) {
            assertThat(index(change).refuseStateOf(RESTORED)).as(change).isEmpty();
        }
    }

    @Test
    void anotherDatabaseTableModelOrQuantizationRefusesItNamingTheSetting() {
        Map<String, String> expectations =
                Map.of(
                        "postgres.url=jdbc:postgresql://db.example:5432/other", "postgres.url",
                        "postgres.documents-table=new_documents", "postgres.documents-table",
                        "postgres.chunks-table=new_chunks", "postgres.chunks-table",
                        "embedding.model=bge-small-en-v1.5", "embedding.model",
                        "quantization=binary", "quantization");
        expectations.forEach(
                (change, key) ->
                        assertThat(index(change).refuseStateOf(RESTORED))
                                .as(change)
                                .hasValueSatisfying(
                                        e ->
                                                assertThat(e)
                                                        .hasMessageStartingWith(
                                                                "config key '" + key + "'")
                                                        .hasMessageContaining(
                                                                "Start without that state")));
    }

    @Test
    void everyChangedPartIsListed() {
        StoredIndex moved = index("postgres.chunks-table=int8_chunks", "quantization=INT8");
        assertThat(moved.refuseStateOf(RESTORED).orElseThrow())
                .hasMessageStartingWith("config key 'postgres.chunks-table'")
                .hasMessageContaining(
                        "postgres.chunks-table 'kb_chunks' -> 'int8_chunks', quantization 'float16'"
                                + " -> 'int8'");
    }

    @Test
    void stateWithoutAnIndexOrOfUnknownPartsIsTaken() {
        assertThat(index().refuseStateOf("")).isEmpty();
        assertThat(index().refuseStateOf("future-part=x\n" + RESTORED)).isEmpty();
    }
}
