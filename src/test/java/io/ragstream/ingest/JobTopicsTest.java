package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The topic settings, checked before anything connects; the brokers' side is JobTopicsIT. */
class JobTopicsTest {
    @Test
    void theDefaultsAndOrdinaryNamesAreTopics() {
        assertThatCode(() -> JobTopics.of(RagstreamConfig.of(Map.of()))).doesNotThrowAnyException();
        assertThatCode(
                        () ->
                                JobTopics.of(
                                        config(
                                                "kafka.documents-topic", "prod.docs-v2",
                                                "kafka.cdc-topics", "pg.public.articles;pg_x",
                                                "kafka.dlq-topic", "prod.dlq",
                                                "kafka.status-topic", "prod.status")))
                .doesNotThrowAnyException();
    }

    @Test
    void whatTheBrokersAllowIsComparedWithWhatTheJobNeeds() {
        Set<AclOperation> readWrite = EnumSet.of(AclOperation.READ, AclOperation.WRITE);
        assertThat(JobTopics.missing(readWrite, Set.of(AclOperation.READ, AclOperation.DESCRIBE)))
                .contains(EnumSet.of(AclOperation.WRITE));
        assertThat(JobTopics.missing(readWrite, Set.of(AclOperation.DESCRIBE))).contains(readWrite);
        assertThat(JobTopics.missing(readWrite, Set.of(AclOperation.ALL))).isEmpty();
        assertThat(JobTopics.missing(readWrite, readWrite)).isEmpty();
        assertThat(JobTopics.missing(readWrite, null)).as("brokers that do not say").isEmpty();
    }

    /** Kafka's producer would refuse any of these at the first record, after every restart. */
    @Test
    void aNameKafkaRefusesIsAConfigurationErrorNamingTheKey() {
        List<Map.Entry<String, String>> refused =
                List.of(
                        Map.entry("kafka.status-topic", "status topic"),
                        Map.entry("kafka.dlq-topic", "dlq/acme"),
                        Map.entry("kafka.documents-topic", "documents!"),
                        Map.entry("kafka.cdc-topics", ".."),
                        Map.entry("kafka.status-topic", "x".repeat(250)));
        for (Map.Entry<String, String> setting : refused) {
            assertThatThrownBy(() -> JobTopics.of(config(setting.getKey(), setting.getValue())))
                    .as("%s=%s", setting.getKey(), setting.getValue())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(setting.getKey())
                    .hasMessageContaining("is not a Kafka topic name");
        }
    }

    @Test
    void anOutputTopicThatIsAlsoAnInputNamesTheOutputsKey() {
        assertThatThrownBy(
                        () ->
                                JobTopics.of(
                                        config(
                                                "kafka.documents-topic",
                                                "docs",
                                                "kafka.dlq-topic",
                                                "docs")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.dlq-topic")
                .hasMessageContaining("also an input topic");
        assertThatThrownBy(
                        () ->
                                JobTopics.of(
                                        config(
                                                "kafka.cdc-topics",
                                                "pg.public.articles",
                                                "kafka.status-topic",
                                                "pg.public.articles")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.status-topic");
    }

    @Test
    void aChangeEventTopicThatIsAlsoTheDocumentsTopicIsRefused() {
        assertThatThrownBy(
                        () ->
                                JobTopics.of(
                                        config(
                                                "kafka.cdc-topics",
                                                "pg.public.articles;ragstream.documents")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.cdc-topics'")
                .hasMessageContaining("'ragstream.documents' is also kafka.documents-topic");
        assertThatCode(() -> JobTopics.of(config("kafka.cdc-topics", "a;a")))
                .as("a change-event topic listed twice is read once")
                .doesNotThrowAnyException();
    }

    @Property(tries = 300)
    void everyNameOfKafkasAlphabetIsTakenAndNoOther(@ForAll String topic) {
        Assume.that(!topic.isEmpty() && !topic.contains(";"));
        boolean legal =
                topic.length() <= 249
                        && topic.chars()
                                .allMatch(
                                        c ->
                                                c < 128
                                                        && (Character.isLetterOrDigit(c)
                                                                || c == '.'
                                                                || c == '_'
                                                                || c == '-'))
                        && !topic.equals(".")
                        && !topic.equals("..");
        if (legal) {
            assertThat(JobTopics.of(config("kafka.status-topic", topic))).isNotNull();
        } else {
            assertThatThrownBy(() -> JobTopics.of(config("kafka.status-topic", topic)))
                    .isInstanceOf(ConfigException.class);
        }
    }

    private static RagstreamConfig config(String... keysAndValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return RagstreamConfig.of(values);
    }
}
