package io.ragstream.bench;

import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.job.RagstreamJob;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * How long after a document is published upstream learns that it is searchable: the commit time its
 * status record carries less the time it was published, for documents published at a steady pace
 * into the running job, with the configured sink mode and checkpoint interval (in exactly-once mode
 * a document is committed at the first checkpoint after it is written).
 */
public final class StatusLatencyBench {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private static final int DOCUMENTS = 60;
    private static final Duration PACE = Duration.ofMillis(250);

    private StatusLatencyBench() {}

    public static void run(BenchContext context, BenchReport report) throws Exception {
        RagstreamConfig config =
                context.isolated(
                        "status", "kafka.status-topic=bench.status." + context.runId() + ".status");
        List<CorpusDocument> corpus = context.scifact(DOCUMENTS + 1);
        String topic = config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        String statusTopic = config.get(RagstreamOptions.KAFKA_STATUS_TOPIC);

        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        RagstreamJob.buildFromConfig(env, config);
        JobClient job = env.executeAsync("ragstream-bench-status");
        try (KafkaConsumer<byte[], byte[]> status = consumer(config, statusTopic)) {
            CorpusPublisher.publish(config, topic, corpus.subList(0, 1)); // the job loads its model
            awaitStatuses(status, 1, new HashMap<>());
            Map<String, Long> published = new HashMap<>();
            for (CorpusDocument doc : corpus.subList(1, corpus.size())) {
                published.put(doc.tenant() + "/" + doc.id(), System.currentTimeMillis());
                CorpusPublisher.publish(config, topic, List.of(doc));
                Thread.sleep(PACE.toMillis());
            }
            Map<String, Long> announced = new HashMap<>();
            awaitStatuses(status, DOCUMENTS, announced);
            List<Long> latencies = new ArrayList<>();
            published.forEach(
                    (key, at) -> {
                        Long statusAt = announced.get(key);
                        if (statusAt != null) {
                            latencies.add(statusAt - at);
                        }
                    });
            latencies.sort(null);
            String what =
                    " ("
                            + config.get(RagstreamOptions.SINK_MODE)
                            + ", checkpoint every "
                            + config.get(RagstreamOptions.CHECKPOINT_INTERVAL).toMillis()
                            + " ms, "
                            + latencies.size()
                            + " docs)";
            report.add(
                    "status",
                    "publish → status record, p50 ms" + what,
                    percentile(latencies, 0.50),
                    "");
            report.add(
                    "status", "publish → status record, p95 ms", percentile(latencies, 0.95), "");
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

    private static double percentile(List<Long> sorted, double p) {
        return sorted.isEmpty()
                ? Double.NaN
                : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
    }
}
