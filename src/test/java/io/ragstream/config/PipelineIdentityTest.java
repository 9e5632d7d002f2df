package io.ragstream.config;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What makes a pipeline another one (and so its own checkpoints and consumer group), and what does
 * not.
 */
class PipelineIdentityTest {

    private static final Map<String, String> BASE =
            Map.of(
                    "kafka.documents-topic", "docs",
                    "kafka.cdc-topics", "cdc.b;cdc.a",
                    "postgres.url", "jdbc:postgresql://db.example:5432/rag",
                    "postgres.password", "s3cret-pw",
                    "postgres.chunks-table", "kb_chunks",
                    "postgres.documents-table", "kb_documents");

    private static RagstreamConfig config(String... overrides) {
        Map<String, String> values = new HashMap<>(BASE);
        for (String o : overrides) {
            int eq = o.indexOf('=');
            values.put(o.substring(0, eq), o.substring(eq + 1));
        }
        return RagstreamConfig.of(values, Map.of());
    }

    private static String id(String... overrides) {
        return PipelineIdentity.of(config(overrides)).id();
    }

    @Test
    void holdsTheSortedTopicsTheDatabaseTheTablesTheModelAndTheQuantization() {
        PipelineIdentity identity = PipelineIdentity.of(config());

        assertThat(identity.topics()).containsExactly("cdc.a", "cdc.b", "docs");
        assertThat(identity.database()).isEqualTo("db.example:5432/rag");
        assertThat(identity.documentsTable()).isEqualTo("kb_documents");
        assertThat(identity.chunksTable()).isEqualTo("kb_chunks");
        assertThat(identity.model()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(identity.quantization()).isEqualTo("float16");
        assertThat(identity.id()).matches("[0-9a-f]{12}");
    }

    @Test
    void theIdIsAHashOfAFixedCanonicalForm() {
        // a change of the form or the hash orphans every user's checkpoints and consumer groups
        PipelineIdentity defaults = PipelineIdentity.of(RagstreamConfig.of(Map.of(), Map.of()));
        assertThat(defaults.canonical())
                .isEqualTo(
                        """
                topics=ragstream.documents
                database=127.0.0.1:5432/ragstream
                documents-table=ragstream_documents
                chunks-table=ragstream_chunks
                model=all-MiniLM-L6-v2
                quantization=float16
                """);
        assertThat(defaults.id()).isEqualTo("83135777a73f");
    }

    @Test
    void whatItReadsAndWhereAndHowItWritesChangesTheId() {
        String base = id();

        assertThat(id("kafka.documents-topic=docs2")).isNotEqualTo(base);
        assertThat(id("kafka.cdc-topics=cdc.a")).isNotEqualTo(base);
        assertThat(id("postgres.url=jdbc:postgresql://other-db.example:5432/rag"))
                .isNotEqualTo(base);
        assertThat(id("postgres.url=jdbc:postgresql://db.example:5433/rag")).isNotEqualTo(base);
        assertThat(id("postgres.url=jdbc:postgresql://db.example:5432/rag2")).isNotEqualTo(base);
        assertThat(id("postgres.chunks-table=kb2_chunks")).isNotEqualTo(base);
        assertThat(id("postgres.documents-table=kb2_documents")).isNotEqualTo(base);
        assertThat(id("embedding.model=bge-small-en-v1.5")).isNotEqualTo(base);
        assertThat(id("quantization=int8")).isNotEqualTo(base);
    }

    @Test
    void credentialsTuningAndSpellingDoNotChangeTheId() {
        String base = id();

        assertThat(id("postgres.password=another")).isEqualTo(base);
        assertThat(id("postgres.user=someone")).isEqualTo(base);
        assertThat(id("postgres.url=jdbc:postgresql://DB.example/rag?sslmode=require&password=x"))
                .isEqualTo(base);
        assertThat(id("checkpoint.interval=1min")).isEqualTo(base);
        assertThat(id("checkpoint.dir=/elsewhere")).isEqualTo(base);
        assertThat(id("kafka.group-id=mine")).isEqualTo(base);
        assertThat(id("sink.mode=idempotent", "sink.batch-size=8", "job.parallelism=4"))
                .isEqualTo(base);
        assertThat(id("embedding.batch-size=4", "chunk.overlap=5")).isEqualTo(base);
        assertThat(id("kafka.cdc-topics=cdc.a;cdc.b")).as("topic order").isEqualTo(base);
        assertThat(id("quantization=FLOAT16")).isEqualTo(base);
    }

    @Test
    void theDescriptionIsReadableAndHoldsNoSecret() {
        PipelineIdentity identity =
                PipelineIdentity.of(
                        config(
                                "postgres.url=jdbc:postgresql://db.example:5432/rag?password=url-secret&user=u"));

        assertThat(identity.description())
                .contains(
                        identity.id(),
                        "cdc.a, cdc.b, docs",
                        "db.example:5432/rag",
                        "kb_chunks",
                        "kb_documents",
                        "all-MiniLM-L6-v2",
                        "float16")
                .doesNotContain("s3cret-pw", "url-secret", "password", "user");
        assertThat(identity.canonical()).doesNotContain("s3cret-pw", "url-secret");
    }

    @Test
    void readsEveryFormOfPostgresUrl() {
        assertThat(PipelineIdentity.database("jdbc:postgresql://127.0.0.1/ragstream"))
                .isEqualTo("127.0.0.1:5432/ragstream");
        assertThat(PipelineIdentity.database("jdbc:postgresql:ragstream"))
                .isEqualTo("localhost:5432/ragstream");
        assertThat(
                        PipelineIdentity.database(
                                "jdbc:postgresql://a:5432,b:5433/rag?targetServerType=primary"))
                .isEqualTo("a:5432,b:5433/rag");
    }

    @Test
    void aUrlThatIsNotPostgresNamesTheKeyAndHidesItsParameters() {
        assertThatThrownBy(
                        () ->
                                PipelineIdentity.of(
                                        config("postgres.url=jdbc:mysql://db/rag?password=hidden")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.url")
                .hasMessageContaining("jdbc:mysql://db/rag")
                .hasMessageNotContaining("hidden");
    }

    @Test
    void theConsumerGroupIsThePipelinesOwnUnlessOneIsSet() {
        assertThat(PipelineIdentity.consumerGroup(config())).isEqualTo("ragstream-" + id());
        assertThat(PipelineIdentity.consumerGroup(config("postgres.chunks-table=kb2_chunks")))
                .isEqualTo("ragstream-" + id("postgres.chunks-table=kb2_chunks"))
                .isNotEqualTo(PipelineIdentity.consumerGroup(config()));
        assertThat(PipelineIdentity.consumerGroup(config("kafka.group-id=shared")))
                .isEqualTo("shared");
        assertThatThrownBy(() -> PipelineIdentity.consumerGroup(config("kafka.group-id= ")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.group-id");
    }
}
