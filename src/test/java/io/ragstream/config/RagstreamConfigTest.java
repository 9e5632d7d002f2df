package io.ragstream.config;

import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.ragstream.config.RagstreamOptions.CHECKPOINT_INTERVAL;
import static io.ragstream.config.RagstreamOptions.EMBEDDING_BACKEND;
import static io.ragstream.config.RagstreamOptions.EMBEDDING_ENDPOINTS;
import static io.ragstream.config.RagstreamOptions.EMBEDDING_LINGER;
import static io.ragstream.config.RagstreamOptions.EMBEDDING_MODEL;
import static io.ragstream.config.RagstreamOptions.HNSW_EF_CONSTRUCTION;
import static io.ragstream.config.RagstreamOptions.HNSW_M;
import static io.ragstream.config.RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS;
import static io.ragstream.config.RagstreamOptions.KAFKA_CDC_TOPICS;
import static io.ragstream.config.RagstreamOptions.KAFKA_DLQ_TOPIC;
import static io.ragstream.config.RagstreamOptions.KAFKA_DOCUMENTS_TOPIC;
import static io.ragstream.config.RagstreamOptions.KAFKA_STATUS_TOPIC;
import static io.ragstream.config.RagstreamOptions.POSTGRES_CREATE_TABLES;
import static io.ragstream.config.RagstreamOptions.POSTGRES_PASSWORD;
import static io.ragstream.config.RagstreamOptions.POSTGRES_URL;
import static io.ragstream.config.RagstreamOptions.POSTGRES_USER;
import static io.ragstream.config.RagstreamOptions.QUANTIZATION;
import static io.ragstream.config.RagstreamOptions.SINK_BATCH_SIZE;
import static io.ragstream.config.RagstreamOptions.SINK_MODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The YAML file, {@code --set} overrides and {@code ${ENV}} values, and the errors a user sees. */
class RagstreamConfigTest {

    private static final Map<String, String> NO_ENV = Map.of();

    @TempDir Path dir;

    // ---------------------------------------------------------------- YAML

    @Test
    void readsNestedYamlKeysAndKeepsDefaultsForTheRest() throws IOException {
        Path yaml =
                yaml(
                        """
                kafka:
                  bootstrap-servers: broker-1:9092,broker-2:9092
                  documents-topic: docs
                postgres:
                  url: jdbc:postgresql://db:5432/rag
                  hnsw:
                    m: 32
                    ef-construction: 128
                  create-tables: false
                embedding:
                  linger: 250ms
                quantization: int8
                sink:
                  mode: idempotent
                  batch-size: 64
                checkpoint:
                  interval: 30s
                """);

        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), NO_ENV);

        assertThat(config.get(KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("broker-1:9092,broker-2:9092");
        assertThat(config.get(KAFKA_DOCUMENTS_TOPIC)).isEqualTo("docs");
        assertThat(config.get(POSTGRES_URL)).isEqualTo("jdbc:postgresql://db:5432/rag");
        assertThat(config.get(HNSW_M)).isEqualTo(32);
        assertThat(config.get(HNSW_EF_CONSTRUCTION)).isEqualTo(128);
        assertThat(config.get(POSTGRES_CREATE_TABLES)).isFalse();
        assertThat(config.get(EMBEDDING_LINGER)).isEqualTo(Duration.ofMillis(250));
        assertThat(config.get(QUANTIZATION)).isEqualTo("int8");
        assertThat(config.get(SINK_MODE)).isEqualTo(SinkMode.IDEMPOTENT);
        assertThat(config.get(SINK_BATCH_SIZE)).isEqualTo(64);
        assertThat(config.get(CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(30));
        // not in the file: the defaults
        assertThat(config.get(KAFKA_DLQ_TOPIC)).isEqualTo("ragstream.dlq");
        assertThat(config.get(POSTGRES_USER)).isEqualTo("ragstream");
        assertThat(config.get(EMBEDDING_MODEL)).isEqualTo("all-MiniLM-L6-v2");
    }

    @Test
    void acceptsDottedKeysInYamlAsWell() throws IOException {
        Path yaml =
                yaml(
                        """
                sink.batch-size: 16
                postgres:
                  hnsw.m: 8
                """);

        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), NO_ENV);

        assertThat(config.get(SINK_BATCH_SIZE)).isEqualTo(16);
        assertThat(config.get(HNSW_M)).isEqualTo(8);
    }

    @Test
    void loadsTheExampleConfigurationOfTheDesign() throws IOException {
        Path yaml =
                yaml(
                        """
                kafka:
                  bootstrap-servers: 127.0.0.1:9092
                  documents-topic: ragstream.documents
                  cdc-topics: []                    # Debezium topics
                  dlq-topic: ragstream.dlq
                  status-topic: ragstream.status    # one record per document once it is committed
                postgres:
                  url: jdbc:postgresql://127.0.0.1:5432/ragstream
                  user: ragstream
                  password: ${RAGSTREAM_PG_PASSWORD}
                embedding:
                  backend: onnx                     # onnx | ollama | openai
                  model: all-MiniLM-L6-v2
                  endpoints: []                     # [{url: http://gpu-1:11434, max-concurrency: 4}, ...]
                quantization: float16               # float32 | float16 | int8 | binary
                sink:
                  mode: exactly-once                # exactly-once | idempotent
                checkpoint:
                  interval: 5s
                """);

        RagstreamConfig config =
                RagstreamConfig.load(yaml, List.of(), Map.of("RAGSTREAM_PG_PASSWORD", "s3cret"));

        assertThat(config.get(KAFKA_CDC_TOPICS)).isEmpty();
        assertThat(config.get(EMBEDDING_ENDPOINTS)).isEmpty();
        assertThat(config.get(KAFKA_STATUS_TOPIC)).isEqualTo("ragstream.status");
        assertThat(config.get(POSTGRES_PASSWORD)).isEqualTo("s3cret");
        assertThat(config.get(EMBEDDING_BACKEND)).isEqualTo(EmbeddingBackendType.ONNX);
        assertThat(config.choice(QUANTIZATION, "float32", "float16", "int8", "binary"))
                .isEqualTo("float16");
        assertThat(config.get(SINK_MODE)).isEqualTo(SinkMode.EXACTLY_ONCE);
        assertThat(config.get(CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void readsEmbeddingEndpointsAsAListOfMaps() throws IOException {
        Path yaml =
                yaml(
                        """
                embedding:
                  backend: ollama
                  endpoints:
                    - url: http://gpu-1:11434
                      max-concurrency: 4
                    - {url: "http://gpu-2:11434/api", max-concurrency: 2}
                """);

        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), NO_ENV);

        assertThat(config.get(EMBEDDING_ENDPOINTS))
                .containsExactly(
                        Map.of("url", "http://gpu-1:11434", "max-concurrency", "4"),
                        Map.of("url", "http://gpu-2:11434/api", "max-concurrency", "2"));
    }

    @Test
    void endpointValuesWithCommasSemicolonsAndQuotesSurvive() throws IOException {
        Path yaml =
                yaml(
                        """
                embedding:
                  endpoints:
                    - url: "http://gpu-1:8000/v1?a=1,b=2;c=3"
                      name: "it's one"
                """);

        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), NO_ENV);

        assertThat(config.get(EMBEDDING_ENDPOINTS))
                .containsExactly(
                        Map.of("url", "http://gpu-1:8000/v1?a=1,b=2;c=3", "name", "it's one"));
    }

    @Test
    void readsCdcTopicsAsAList() throws IOException {
        Path yaml =
                yaml(
                        """
                kafka:
                  cdc-topics:
                    - pg.public.documents
                    - mysql.app.articles
                """);

        assertThat(RagstreamConfig.load(yaml, List.of(), NO_ENV).get(KAFKA_CDC_TOPICS))
                .containsExactly("pg.public.documents", "mysql.app.articles");
        assertThat(
                        RagstreamConfig.load(yaml("kafka.cdc-topics: [one]\n"), List.of(), NO_ENV)
                                .get(KAFKA_CDC_TOPICS))
                .containsExactly("one");
        assertThat(
                        RagstreamConfig.load(null, List.of("kafka.cdc-topics=a;b"), NO_ENV)
                                .get(KAFKA_CDC_TOPICS))
                .containsExactly("a", "b");
    }

    @Test
    void withNoFileEverythingIsDefault() {
        for (RagstreamConfig config :
                List.of(
                        RagstreamConfig.load(null, List.of(), NO_ENV),
                        RagstreamConfig.of(Map.of(), NO_ENV))) {
            assertDefaults(config);
        }
    }

    @Test
    void anEmptyFileOrOneWithOnlyCommentsMeansEverythingIsDefault() throws IOException {
        // e.g. a job.yaml template with every setting commented out
        assertDefaults(RagstreamConfig.load(yaml(""), List.of(), NO_ENV));
        assertDefaults(
                RagstreamConfig.load(
                        yaml("# kafka:\n#   bootstrap-servers: b:9092\n"), List.of(), NO_ENV));
    }

    private static void assertDefaults(RagstreamConfig config) {
        assertThat(config.get(KAFKA_DOCUMENTS_TOPIC)).isEqualTo("ragstream.documents");
        assertThat(config.get(KAFKA_CDC_TOPICS)).isEmpty();
        assertThat(config.get(EMBEDDING_ENDPOINTS)).isEmpty();
        assertThat(config.get(QUANTIZATION)).isEqualTo("float16");
        assertThat(config.get(CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.get(POSTGRES_USER)).isEqualTo("ragstream");
    }

    @Test
    void aFileThatIsNotAMappingOrCannotBeReadIsNamed() throws IOException {
        Path list = yaml("- a\n- b\n");
        assertThatThrownBy(() -> RagstreamConfig.load(list, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--config")
                .hasMessageContaining(list.toString());

        Path missing = dir.resolve("missing.yaml");
        assertThatThrownBy(() -> RagstreamConfig.load(missing, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--config")
                .hasMessageContaining(missing.toString());

        Path broken = yaml("kafka: [unclosed\n");
        assertThatThrownBy(() -> RagstreamConfig.load(broken, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--config");
    }

    @Test
    void theBrokersMayBeAYamlList() throws IOException {
        Path file = yaml("kafka:\n  bootstrap-servers: [broker-1:9092, broker-2:9092]\n");

        assertThat(
                        RagstreamConfig.load(file, List.of(), NO_ENV)
                                .get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS))
                .isEqualTo("broker-1:9092,broker-2:9092");
    }

    @Test
    void aKeyOrSectionGivenTwiceInTheFileIsRefused() throws IOException {
        // the second section would replace the first whole: the brokers fall back to the default
        Path twoSections =
                yaml(
                        """
                        kafka:
                          bootstrap-servers: broker-1:9092
                        postgres:
                          user: app
                        kafka:
                          dlq-topic: app.dlq
                        """);
        assertThatThrownBy(() -> RagstreamConfig.load(twoSections, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--config")
                .hasMessageContaining("Duplicate field 'kafka'");

        Path nestedAndDotted =
                yaml(
                        """
                        kafka.bootstrap-servers: broker-1:9092
                        kafka:
                          bootstrap-servers: broker-2:9092
                        """);
        assertThatThrownBy(() -> RagstreamConfig.load(nestedAndDotted, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.bootstrap-servers'")
                .hasMessageContaining("given twice");
    }

    // ---------------------------------------------------------------- overrides

    @Test
    void overridesWinOverTheFile() throws IOException {
        Path yaml =
                yaml(
                        """
                sink:
                  batch-size: 64
                kafka:
                  documents-topic: from-file
                """);

        RagstreamConfig config =
                RagstreamConfig.load(
                        yaml,
                        List.of(
                                "sink.batch-size=128",
                                " kafka.documents-topic = from-flag ",
                                "checkpoint.interval=1 min"),
                        NO_ENV);

        assertThat(config.get(SINK_BATCH_SIZE)).isEqualTo(128);
        assertThat(config.get(KAFKA_DOCUMENTS_TOPIC)).isEqualTo("from-flag");
        assertThat(config.get(CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aLaterOverrideWinsOverAnEarlierOneAndValuesMayHoldEqualsSigns() {
        RagstreamConfig config =
                RagstreamConfig.load(
                        null,
                        List.of(
                                "sink.batch-size=1",
                                "sink.batch-size=2",
                                "postgres.url=jdbc:postgresql://db/rag?sslmode=require&options=-c%20a=b"),
                        NO_ENV);

        assertThat(config.get(SINK_BATCH_SIZE)).isEqualTo(2);
        assertThat(config.get(POSTGRES_URL))
                .isEqualTo("jdbc:postgresql://db/rag?sslmode=require&options=-c%20a=b");
    }

    @Test
    void anOverrideThatIsNotKeyEqualsValueIsRejected() {
        assertThatThrownBy(() -> RagstreamConfig.load(null, List.of("sink.batch-size"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sink.batch-size")
                .hasMessageContaining("key=value");
        assertThatThrownBy(() -> RagstreamConfig.load(null, List.of("=5"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("key=value");
    }

    @Test
    void withReturnsACopyWithOneMoreSetting() {
        RagstreamConfig base = RagstreamConfig.of(Map.of("sink.batch-size", "10"), NO_ENV);

        RagstreamConfig changed = base.with("kafka.documents-topic", "other");

        assertThat(changed.get(KAFKA_DOCUMENTS_TOPIC)).isEqualTo("other");
        assertThat(changed.get(SINK_BATCH_SIZE)).isEqualTo(10);
        assertThat(base.get(KAFKA_DOCUMENTS_TOPIC)).isEqualTo("ragstream.documents");
        assertThatThrownBy(() -> base.with("sink.batch-sise", "3"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sink.batch-size");
    }

    // ---------------------------------------------------------------- ${ENV}

    @Test
    void resolvesEnvironmentReferences() throws IOException {
        Path yaml =
                yaml(
                        """
                postgres:
                  url: jdbc:postgresql://${PG_HOST}:${PG_PORT}/rag
                  user: ${PG_USER}
                  password: ${PG_SECRET}
                """);
        Map<String, String> env =
                Map.of(
                        "PG_HOST",
                        "db.internal",
                        "PG_PORT",
                        "6543",
                        "PG_USER",
                        "svc",
                        "PG_SECRET",
                        "p$w\\d{1}");

        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), env);

        assertThat(config.get(POSTGRES_URL)).isEqualTo("jdbc:postgresql://db.internal:6543/rag");
        assertThat(config.get(POSTGRES_USER)).isEqualTo("svc");
        assertThat(config.get(POSTGRES_PASSWORD))
                .as("taken literally, $ and \\ included")
                .isEqualTo("p$w\\d{1}");
    }

    @Test
    void aSecretComesFromAMountedFileWithoutItsLineBreak() throws IOException {
        Path secret =
                java.nio.file.Files.writeString(dir.resolve("pg-password"), "s3cret-from-file\n");
        Path yaml = yaml("postgres:\n  password: ${file:" + secret + "}\n");

        assertThat(RagstreamConfig.load(yaml, List.of(), Map.of()).get(POSTGRES_PASSWORD))
                .isEqualTo("s3cret-from-file");
        RagstreamConfig missing =
                RagstreamConfig.load(
                        null,
                        List.of("postgres.password=${file:" + dir.resolve("nope") + "}"),
                        Map.of());
        assertThatThrownBy(() -> missing.get(POSTGRES_PASSWORD))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.password'")
                .hasMessageContaining("cannot read the file");
    }

    @Test
    void theDefaultPasswordComesFromTheEnvironment() {
        RagstreamConfig config =
                RagstreamConfig.of(Map.of(), Map.of("RAGSTREAM_PG_PASSWORD", "from-env"));

        assertThat(config.get(POSTGRES_PASSWORD)).isEqualTo("from-env");
    }

    @Test
    void aMissingEnvironmentVariableFailsOnlyWhenTheValueIsUsed() throws IOException {
        Path yaml =
                yaml(
                        """
                postgres:
                  password: ${NOT_SET_ANYWHERE}
                """);

        // commands that never touch the database must still start
        RagstreamConfig config = RagstreamConfig.load(yaml, List.of(), NO_ENV);
        assertThat(config.get(POSTGRES_USER)).isEqualTo("ragstream");

        assertThatThrownBy(() -> config.get(POSTGRES_PASSWORD))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.password")
                .hasMessageContaining("NOT_SET_ANYWHERE");
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of(), NO_ENV).get(POSTGRES_PASSWORD))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.password")
                .hasMessageContaining("RAGSTREAM_PG_PASSWORD");
    }

    @Test
    void survivesJavaSerializationAsPartOfAJobGraph() throws Exception {
        RagstreamConfig config =
                RagstreamConfig.load(
                        null,
                        List.of(
                                "sink.batch-size=7",
                                "postgres.password=${PW}",
                                "kafka.cdc-topics=a;b"),
                        Map.of("PW", "x"));

        RagstreamConfig copy = InstantiationUtil.clone(config, getClass().getClassLoader());

        assertThat(copy.get(SINK_BATCH_SIZE)).isEqualTo(7);
        assertThat(copy.get(POSTGRES_PASSWORD)).isEqualTo("x");
        assertThat(copy.get(KAFKA_CDC_TOPICS)).containsExactly("a", "b");
    }

    // ---------------------------------------------------------------- errors naming the key

    @Test
    void anUnknownKeyInTheFileIsNamedWithTheClosestKnownKey() throws IOException {
        Path yaml =
                yaml(
                        """
                kafka:
                  bootstrap-server: x:9092
                """);

        assertThatThrownBy(() -> RagstreamConfig.load(yaml, List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.bootstrap-server'")
                .hasMessageContaining("did you mean 'kafka.bootstrap-servers'");
    }

    @Test
    void anUnknownKeyInAnOverrideOrAMapIsNamedWithTheClosestKnownKey() {
        assertThatThrownBy(
                        () -> RagstreamConfig.load(null, List.of("chekpoint.interval=1s"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("chekpoint.interval")
                .hasMessageContaining("did you mean 'checkpoint.interval'");
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("quantisation", "int8"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("quantisation")
                .hasMessageContaining("did you mean 'quantization'");
    }

    @Test
    void aValueOfTheWrongTypeFailsAtLoadNamingTheKey() throws IOException {
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.load(
                                        yaml("checkpoint:\n  interval: soon\n"), List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'checkpoint.interval'")
                .hasMessageContaining("soon");
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.load(
                                        yaml("sink:\n  batch-size: many\n"), List.of(), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'sink.batch-size'")
                .hasMessageContaining("many");
        assertThatThrownBy(
                        () ->
                                RagstreamConfig.load(
                                        null, List.of("postgres.create-tables=perhaps"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.create-tables'");
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("postgres.hnsw.m", "16.5"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config key 'postgres.hnsw.m'");
    }

    @Test
    void choiceAcceptsAListedValueWhateverItsCaseAndRejectsOthers() {
        RagstreamConfig config = RagstreamConfig.of(Map.of("quantization", " Binary "), NO_ENV);

        assertThat(config.choice(QUANTIZATION, "float32", "float16", "int8", "binary"))
                .isEqualTo("binary");
        assertThatThrownBy(() -> config.choice(QUANTIZATION, "float32", "float16"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("quantization")
                .hasMessageContaining("float32 | float16");
    }

    @Test
    void enumOptionsTakeTheirWrittenNamesWhateverTheCaseAndRefuseOthersWhenLoaded() {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of("sink.mode", "Idempotent", "embedding.backend", "OLLAMA"), NO_ENV);
        assertThat(config.get(SINK_MODE)).isEqualTo(SinkMode.IDEMPOTENT);
        assertThat(config.get(EMBEDDING_BACKEND)).isEqualTo(EmbeddingBackendType.OLLAMA);

        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("sink.mode", "at-most-once"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'sink.mode'")
                .hasMessageContaining("idempotent, exactly-once");
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("sink.mode", "EXACTLY_ONCE"), NO_ENV))
                .as("the Java name is not the written one")
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void searchModeIsHybridUnlessSetAndOnlyOneOfTheThree() {
        assertThat(RagstreamConfig.of(Map.of(), NO_ENV).get(RagstreamOptions.SEARCH_MODE))
                .isEqualTo(SearchMode.HYBRID);
        assertThat(
                        RagstreamConfig.of(Map.of("search.mode", "Text"), NO_ENV)
                                .get(RagstreamOptions.SEARCH_MODE))
                .isEqualTo(SearchMode.TEXT);
        assertThatThrownBy(() -> RagstreamConfig.of(Map.of("search.mode", "bm25"), NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'search.mode'")
                .hasMessageContaining("vector, text, hybrid");
    }

    @Test
    void positiveRejectsZeroAndNegativeNumbers() {
        RagstreamConfig config =
                RagstreamConfig.of(Map.of("sink.batch-size", "0", "postgres.hnsw.m", "-4"), NO_ENV);

        assertThatThrownBy(() -> config.positive(SINK_BATCH_SIZE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sink.batch-size")
                .hasMessageContaining("> 0");
        assertThatThrownBy(() -> config.positive(HNSW_M))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.hnsw.m");
        assertThat(RagstreamConfig.of(Map.of(), NO_ENV).positive(SINK_BATCH_SIZE)).isEqualTo(256);
    }

    // ---------------------------------------------------------------- helpers

    private int files;

    private Path yaml(String content) throws IOException {
        Path file = dir.resolve("config-" + (++files) + ".yaml");
        Files.writeString(file, content);
        return file;
    }
}
