package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.CapturedLogs;
import io.ragstream.testing.PrivateKafka;
import io.ragstream.testing.TestServices;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job's output topics on a broker of the test's own that, like managed Kafka services, does not
 * create a topic at its first record: without them the job's first status record waited a minute
 * for the topic and failed the job, after every restart.
 */
class JobTopicsIT {
    private static final int DEFAULT_PARTITIONS = 3;

    private static PrivateKafka kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka =
                PrivateKafka.start(
                        Map.of(
                                "auto.create.topics.enable",
                                "false",
                                "num.partitions",
                                Integer.toString(DEFAULT_PARTITIONS)));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theTopicsTheJobWritesAreMadeAtItsStartAndTheOnesItReadsAreAwaited() throws Exception {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "kafka.bootstrap-servers", kafka.bootstrapServers(),
                                "kafka.documents-topic", "acme.documents",
                                "kafka.dlq-topic", "acme.dlq",
                                "kafka.status-topic", "acme.status"));
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            // the premise: this broker keeps a record for a missing topic waiting, then fails it
            assertThatThrownBy(() -> send(producer, "acme.status"))
                    .hasMessageContaining("not present in metadata");

            List<LogEvent> warnings =
                    CapturedLogs.warnings(
                            JobTopics.class, () -> KafkaConnectionCheck.check(config));

            try (Admin admin = kafka.admin()) {
                Map<String, TopicDescription> made =
                        admin.describeTopics(List.of("acme.dlq", "acme.status"))
                                .allTopicNames()
                                .get(10, TimeUnit.SECONDS);
                assertThat(made.values())
                        .as("made with the broker's defaults")
                        .allSatisfy(
                                topic ->
                                        assertThat(topic.partitions()).hasSize(DEFAULT_PARTITIONS));
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                        .as("the documents topic is the producers' to make")
                        .doesNotContain("acme.documents");
            }
            assertThat(warnings)
                    .extracting(e -> e.getMessage().getFormattedMessage())
                    .containsExactly(
                            "kafka.documents-topic: topic 'acme.documents' does not exist (or this"
                                    + " client may not describe it); the job reads it once it does");
            send(producer, "acme.status");
            send(producer, "acme.dlq");

            // a start where they exist changes nothing
            KafkaConnectionCheck.check(config);
        }
    }

    /**
     * A dead-letter topic made to take less than the brokers' default: the largest letter must fit,
     * or the first one refused failed the task, replayed its record and failed again, for ever.
     */
    @Test
    void aDeadLetterTopicTakingLessThanTheLargestLetterIsRefusedNamingTheCap() throws Exception {
        try (Admin admin = kafka.admin()) {
            admin.createTopics(
                            List.of(
                                    new NewTopic("small.dlq", 1, (short) 1)
                                            .configs(Map.of("max.message.bytes", "100000")),
                                    new NewTopic("tiny.dlq", 1, (short) 1)
                                            .configs(Map.of("max.message.bytes", "10000"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        Map<String, String> small =
                Map.of(
                        "kafka.bootstrap-servers",
                        kafka.bootstrapServers(),
                        "kafka.dlq-topic",
                        "small.dlq");
        assertThatThrownBy(() -> KafkaConnectionCheck.check(RagstreamConfig.of(small)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.dlq-max-value-bytes'")
                .hasMessageContaining("'small.dlq' takes at most 100000 (max.message.bytes)")
                .hasMessageContaining(
                        "set it to at most " + DeadLetterSerializer.largestMaxValueBytes(100000));

        Map<String, String> fitting = new HashMap<>(small);
        fitting.put(
                "kafka.dlq-max-value-bytes",
                Integer.toString(DeadLetterSerializer.largestMaxValueBytes(100000)));
        assertThatCode(() -> KafkaConnectionCheck.check(RagstreamConfig.of(fitting)))
                .doesNotThrowAnyException();

        Map<String, String> tiny = new HashMap<>(small);
        tiny.put("kafka.dlq-topic", "tiny.dlq");
        assertThatThrownBy(() -> KafkaConnectionCheck.check(RagstreamConfig.of(tiny)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.dlq-topic'")
                .hasMessageContaining("takes records of at most 10000 bytes");
    }

    /**
     * Brokers away at the job's start leave its topics unmade: each writer makes its own when it
     * starts, so the job's first dead letter does not wait for a topic that never comes.
     */
    @Test
    void aWriterMakesItsTopicWhenTheJobsStartCouldNot() throws Exception {
        RagstreamConfig config =
                RagstreamConfig.of(
                        Map.of(
                                "kafka.bootstrap-servers",
                                kafka.bootstrapServers(),
                                "kafka.dlq-topic",
                                "late.dlq"));
        List<DeadLetter> letters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            letters.add(
                    new DeadLetter(
                            DeadLetter.Reason.MALFORMED_JSON,
                            "not JSON",
                            "late.documents",
                            0,
                            i,
                            ("acme/" + i).getBytes(StandardCharsets.UTF_8),
                            "{".getBytes(StandardCharsets.UTF_8)));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(TypeInformation.of(DeadLetter.class), letters.toArray(DeadLetter[]::new))
                .sinkTo(DocumentSources.deadLetters(config));
        env.execute("dead letters to a topic nobody made");

        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                kafka.bootstrapServers(),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                                "earliest",
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "late-dlq-reader"),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("late.dlq"));
            List<String> keys = new ArrayList<>();
            TestServices.await(
                    "the five dead letters",
                    Duration.ofSeconds(30),
                    () -> {
                        consumer.poll(Duration.ofMillis(500))
                                .forEach(
                                        r -> keys.add(new String(r.key(), StandardCharsets.UTF_8)));
                        return keys.size() >= letters.size();
                    });
            assertThat(keys).hasSize(letters.size());
        }
    }

    /**
     * Writers that start together on a topic none of them finds: each sends at once after its look,
     * and no record is lost. Before the look waited for the partitions' leaders, a producer sending
     * into a topic made a moment before lost its first batch in 1 round of 10 to 20.
     */
    @Test
    void writersStartingTogetherOnAMissingTopicLoseNoRecord() throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 10; round++) {
                JobTopics.Output output =
                        new JobTopics.Output(
                                kafka.bootstrapServers(),
                                KafkaClientProperties.none(),
                                "together." + round,
                                "kafka.status-topic");
                List<Callable<Integer>> starts = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    starts.add(
                            () -> {
                                output.makeIfMissing();
                                try (KafkaProducer<byte[], byte[]> producer =
                                        new KafkaProducer<>(
                                                Map.of(
                                                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                                        kafka.bootstrapServers(),
                                                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                                                        8000,
                                                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                                                        4000),
                                                new ByteArraySerializer(),
                                                new ByteArraySerializer())) {
                                    List<Future<?>> sent = new ArrayList<>();
                                    for (int i = 0; i < 1000; i++) {
                                        sent.add(
                                                producer.send(
                                                        new ProducerRecord<>(
                                                                output.topic(),
                                                                ("k" + i)
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8),
                                                                new byte[100])));
                                    }
                                    int lost = 0;
                                    for (Future<?> record : sent) {
                                        try {
                                            record.get();
                                        } catch (ExecutionException e) {
                                            lost++;
                                        }
                                    }
                                    return lost;
                                }
                            });
                }
                int lost = 0;
                for (Future<Integer> start : writers.invokeAll(starts)) {
                    lost += start.get();
                }
                assertThat(lost).as("records lost in round %d", round).isZero();
            }
        } finally {
            writers.shutdownNow();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers(),
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        3000),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, "x".getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }
}
