package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.PrivateKafka;
import io.ragstream.testing.RunningJob;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Brokers that authorize by ACLs, as production clusters do: the job's principal may do only what
 * it is granted. A grant left out used to surface only when the job first needed it: no WRITE on
 * the dead-letter topic failed the task at the first bad record, after every restart, and no READ
 * on the consumer group or a topic failed the source at every restart. Now the start names the
 * setting and the missing operation; with the grants the README lists, the job runs.
 */
class KafkaAclsIT {
    private static final String USER = "app";
    private static final String PRINCIPAL = "User:" + USER;

    @RegisterExtension static final JobFixture IT = JobFixture.slots(1);

    private static PrivateKafka broker;

    private TestServices services;
    private String group;

    @BeforeAll
    static void brokerWithAcls() throws Exception {
        broker = PrivateKafka.startWithAcls(USER, "app-secret");
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void topicsAndTheGrantsTheJobNeeds() throws Exception {
        services = IT.services("acls");
        group = "it-acls-" + services.name;
        try (Admin admin = broker.admin()) {
            services.createJobTopics(admin, 1);
            String documents = services.documentsTopic;
            String dlq = services.dlqTopic;
            admin.createAcls(
                            List.of(
                                    grant(ResourceType.TOPIC, documents, AclOperation.READ),
                                    // letters of chunks a backend rejected are read back
                                    grant(ResourceType.TOPIC, dlq, AclOperation.READ),
                                    grant(ResourceType.TOPIC, dlq, AclOperation.WRITE),
                                    grant(
                                            ResourceType.TOPIC,
                                            services.statusTopic,
                                            AclOperation.WRITE),
                                    grant(ResourceType.GROUP, group, AclOperation.READ)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withTheGrantsTheReadmeListsTheJobStoresAndDeadLetters() throws Exception {
        RunningJob job = IT.start(config());
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(
                            new ProducerRecord<>(
                                    services.documentsTopic,
                                    "acme/granted",
                                    TestServices.document("acme", "granted", null, "Allowed.")))
                    .get();
            producer.send(new ProducerRecord<>(services.documentsTopic, "acme/bad", "{not json"))
                    .get();
        }
        await("the document")
                .atMost(Duration.ofSeconds(60))
                .until(
                        () ->
                                count(
                                                "SELECT count(*) FROM \""
                                                        + services.documentsTable
                                                        + "\" WHERE doc_id = 'granted'")
                                        == 1);
        assertThat(read(services.dlqTopic)).as("the dead letter").hasSize(1);
        assertThat(read(services.statusTopic)).as("the status record").isNotEmpty();
        job.assertNoTaskRestarted();
    }

    @Test
    void noWriteOnTheDeadLetterTopicIsRefusedNamingIt() throws Exception {
        revoke(ResourceType.TOPIC, services.dlqTopic, AclOperation.WRITE);
        assertThatThrownBy(() -> IT.start(config()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.dlq-topic'")
                .hasMessageContaining(services.dlqTopic)
                .hasMessageContaining("WRITE");
    }

    @Test
    void noReadOnTheDocumentsTopicIsRefusedNamingIt() throws Exception {
        revoke(ResourceType.TOPIC, services.documentsTopic, AclOperation.READ);
        grantNow(ResourceType.TOPIC, services.documentsTopic, AclOperation.DESCRIBE);
        assertThatThrownBy(() -> IT.start(config()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.documents-topic'")
                .hasMessageContaining("READ");
    }

    @Test
    void noReadOnTheConsumerGroupIsRefusedNamingIt() throws Exception {
        revoke(ResourceType.GROUP, group, AclOperation.READ);
        assertThatThrownBy(() -> IT.start(config()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.group-id'")
                .hasMessageContaining(group)
                .hasMessageContaining("READ");
    }

    private RagstreamConfig config() {
        Map<String, String> client = broker.userClient();
        return services.config(
                Map.of("KAFKA_JAAS", client.get("sasl.jaas.config")),
                "kafka.bootstrap-servers=" + broker.saslBootstrapServers(),
                "kafka.group-id=" + group,
                "kafka.properties.security.protocol=" + client.get("security.protocol"),
                "kafka.properties.sasl.mechanism=" + client.get("sasl.mechanism"),
                "kafka.properties.sasl.jaas.config=${KAFKA_JAAS}");
    }

    private static AclBinding grant(ResourceType type, String name, AclOperation operation) {
        return new AclBinding(
                new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry(PRINCIPAL, "*", operation, AclPermissionType.ALLOW));
    }

    private static void grantNow(ResourceType type, String name, AclOperation operation)
            throws Exception {
        try (Admin admin = broker.admin()) {
            admin.createAcls(List.of(grant(type, name, operation))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void revoke(ResourceType type, String name, AclOperation operation)
            throws Exception {
        try (Admin admin = broker.admin()) {
            AclBindingFilter filter = grant(type, name, operation).toFilter();
            admin.deleteAcls(List.of(filter)).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()),
                new StringSerializer(),
                new StringSerializer());
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                broker.bootstrapServers(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            consumer.assign(List.of(new org.apache.kafka.common.TopicPartition(topic, 0)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        return records;
    }
}
