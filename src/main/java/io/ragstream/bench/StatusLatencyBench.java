package io.ragstream.bench;

import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.job.RagstreamJob;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * How long after a document is published upstream learns that it is searchable: the commit time its
 * status record carries less the time it was published, in exactly-once mode a document being
 * committed at the first checkpoint after it is written. Twice: documents published at a steady
 * pace the job keeps up with, and a stream published faster than the model embeds (sustained
 * backpressure) with aligned checkpoints, unaligned ones, and aligned ones that turn unaligned
 * after 1 s, side by side.
 */
public final class StatusLatencyBench {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private static final int DOCUMENTS = 60;
    private static final Duration PACE = Duration.ofMillis(250);

    /**
     * Published at 40 a second for 10 s: more than the in-process model embeds on 2 cores, so the
     * queue before it stays full until the end.
     */
    private static final int BACKPRESSURE_DOCUMENTS = 400;

    private static final Duration BACKPRESSURE_PACE = Duration.ofMillis(25);

    /** Each document's publish → status time, and every commit time announced. */
    private record Latencies(List<Long> millis, List<Long> commits) {
        double percentile(double p) {
            return millis.isEmpty()
                    ? Double.NaN
                    : millis.get(
                            (int) Math.min(millis.size() - 1, Math.ceil(p * millis.size()) - 1));
        }

        /** The longest time between two commits after the first: how bursty rows appear. */
        double longestGapSeconds() {
            long longest = 0;
            for (int i = 1; i < commits.size(); i++) {
                longest = Math.max(longest, commits.get(i) - commits.get(i - 1));
            }
            return longest / 1000.0;
        }
    }

    private StatusLatencyBench() {}

    public static void run(BenchContext context, BenchReport report) throws Exception {
        List<CorpusDocument> corpus =
                context.scifact(
                        1 + DOCUMENTS + checkpointSettings().size() * BACKPRESSURE_DOCUMENTS);
        RagstreamConfig steady = context.isolated("status", statusTopic(context, "status"));
        Latencies paced =
                measure(steady, new Configuration(), corpus.subList(0, 1 + DOCUMENTS), PACE);
        String what =
                " ("
                        + steady.get(RagstreamOptions.SINK_MODE)
                        + ", checkpoint every "
                        + steady.get(RagstreamOptions.CHECKPOINT_INTERVAL).toMillis()
                        + " ms, "
                        + paced.millis().size()
                        + " docs, one each "
                        + PACE.toMillis()
                        + " ms)";
        report.add("status", "publish → status record, p50 ms" + what, paced.percentile(0.5), "");
        report.add("status", "publish → status record, p95 ms", paced.percentile(0.95), "");

        int from = 1 + DOCUMENTS;
        for (Map.Entry<String, Configuration> checkpoints : checkpointSettings().entrySet()) {
            String name = "status_" + from;
            List<CorpusDocument> docs = new ArrayList<>(corpus.subList(0, 1));
            docs.addAll(corpus.subList(from, from + BACKPRESSURE_DOCUMENTS));
            from += BACKPRESSURE_DOCUMENTS;
            Latencies l =
                    measure(
                            context.isolated(name, statusTopic(context, name)),
                            checkpoints.getValue(),
                            docs,
                            BACKPRESSURE_PACE);
            report.add(
                    "status",
                    "under backpressure ("
                            + BACKPRESSURE_DOCUMENTS
                            + " docs, one each "
                            + BACKPRESSURE_PACE.toMillis()
                            + " ms), "
                            + checkpoints.getKey()
                            + ": publish → status p50 / p95 ms; longest time between two commits, s",
                    BenchReport.fixed(l.percentile(0.5), 0)
                            + " / "
                            + BenchReport.fixed(l.percentile(0.95), 0)
                            + "; "
                            + BenchReport.fixed(l.longestGapSeconds(), 1),
                    "");
        }
    }

    /** The checkpoint settings compared, as flink-conf/config.yaml would set them. */
    private static Map<String, Configuration> checkpointSettings() {
        Map<String, Configuration> settings = new LinkedHashMap<>();
        Configuration aligned = new Configuration();
        aligned.set(CheckpointingOptions.ENABLE_UNALIGNED, false);
        settings.put("aligned checkpoints", aligned);
        Configuration unaligned = new Configuration();
        unaligned.set(CheckpointingOptions.ENABLE_UNALIGNED, true);
        settings.put("unaligned checkpoints", unaligned);
        Configuration timeout = new Configuration();
        timeout.set(CheckpointingOptions.ENABLE_UNALIGNED, true);
        timeout.set(CheckpointingOptions.ALIGNED_CHECKPOINT_TIMEOUT, Duration.ofSeconds(1));
        settings.put("aligned, unaligned after 1 s", timeout);
        return settings;
    }

    private static String statusTopic(BenchContext context, String name) {
        return "kafka.status-topic=bench." + name + "." + context.runId() + ".status";
    }

    /**
     * Runs the job, publishes {@code corpus}'s first document and waits for its status (the job has
     * loaded its model), then the others one each {@code pace}, and reads their statuses.
     */
    private static Latencies measure(
            RagstreamConfig config, Configuration flink, List<CorpusDocument> corpus, Duration pace)
            throws Exception {
        String topic = config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        String statusTopic = config.get(RagstreamOptions.KAFKA_STATUS_TOPIC);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(flink);
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream-bench-status");
        try (KafkaConsumer<byte[], byte[]> status = consumer(config, statusTopic)) {
            CorpusPublisher.publish(config, topic, corpus.subList(0, 1));
            awaitStatuses(status, 1, new HashMap<>());
            Map<String, Long> published = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(
                            CorpusPublisher.producerProperties(config),
                            new ByteArraySerializer(),
                            new ByteArraySerializer())) {
                long next = System.nanoTime();
                for (CorpusDocument doc : corpus.subList(1, corpus.size())) {
                    published.put(doc.tenant() + "/" + doc.id(), System.currentTimeMillis());
                    producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    doc.key().getBytes(StandardCharsets.UTF_8),
                                    doc.toEventJson()));
                    next += pace.toNanos();
                    Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                }
            }
            Map<String, Long> announced = new HashMap<>();
            awaitStatuses(status, corpus.size() - 1, announced);
            List<Long> latencies = new ArrayList<>();
            published.forEach(
                    (key, at) -> {
                        Long statusAt = announced.get(key);
                        if (statusAt != null) {
                            latencies.add(statusAt - at);
                        }
                    });
            latencies.sort(null);
            return new Latencies(
                    latencies, announced.values().stream().distinct().sorted().toList());
        } finally {
            job.cancel().get();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(RagstreamConfig config, String topic) {
        Properties props = KafkaClientProperties.from(config).applyTo(new Properties());
        props.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-status-reader");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * Reads status records until {@code count} new ones came; each document's first commit time.
     */
    private static void awaitStatuses(
            KafkaConsumer<byte[], byte[]> consumer, int count, Map<String, Long> announced) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        int seen = 0;
        while (seen < count && Instant.now().isBefore(deadline)) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                try {
                    long committedAt =
                            Instant.parse(
                                            JSON.readTree(record.value())
                                                    .get("committed_at")
                                                    .asText())
                                    .toEpochMilli();
                    announced.putIfAbsent(
                            new String(record.key(), StandardCharsets.UTF_8), committedAt);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(
                            "not a status record: "
                                    + new String(record.value(), StandardCharsets.UTF_8),
                            e);
                }
                seen++;
            }
        }
        if (seen < count) {
            throw new IllegalStateException(
                    "only " + seen + " of " + count + " status records came in 5 minutes");
        }
    }
}
