package io.ragstream.corpus;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.ingest.KafkaConnectionCheck;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes documents as document events (key tenant/id), with a progress bar: {@code produce},
 * {@code demo} and the benches.
 */
public final class CorpusPublisher {

    private CorpusPublisher() {}

    /**
     * To the brokers of {@code kafka.bootstrap-servers}, with the {@code kafka.properties.*}
     * settings.
     */
    public static void publish(RagstreamConfig config, String topic, List<CorpusDocument> docs)
            throws Exception {
        try {
            publish(producerProperties(config), topic, docs);
        } catch (IllegalStateException e) {
            Optional<ConfigException> refused =
                    KafkaConnectionCheck.refusal(
                            e.getCause(), config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS));
            throw refused.isPresent() ? refused.get() : e;
        }
    }

    /**
     * The producer's properties: the job's defaults (acks, idempotence, batching), then the user's
     * {@code kafka.properties.*} on top, then what the job owns.
     */
    public static Properties producerProperties(RagstreamConfig config) {
        Properties props = new Properties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        KafkaClientProperties.from(config).applyTo(props);
        props.put(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS));
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 * 1024 * 1024));
        return props;
    }

    private static void publish(Properties props, String topic, List<CorpusDocument> docs)
            throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(
                                props, new ByteArraySerializer(), new ByteArraySerializer());
                ProgressBar bar =
                        new ProgressBarBuilder()
                                .setTaskName("publish " + topic)
                                .setInitialMax(docs.size())
                                .setUnit(" docs", 1)
                                .build()) {
            for (CorpusDocument doc : docs) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                doc.key().getBytes(StandardCharsets.UTF_8),
                                doc.toEventJson()),
                        (meta, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                            bar.step();
                        });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("publishing to " + topic + " failed", failure.get());
        }
    }
}
