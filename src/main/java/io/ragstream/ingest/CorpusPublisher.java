package io.ragstream.ingest;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/** Publishes documents as document events (key tenant/id), with a progress bar. */
public final class CorpusPublisher {

    private CorpusPublisher() {}

    public static void publish(String bootstrapServers, String topic, List<CorpusDocument> docs) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(8 * 1024 * 1024));
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
             ProgressBar bar = new ProgressBarBuilder().setTaskName("publish " + topic)
                     .setInitialMax(docs.size()).setUnit(" docs", 1).build()) {
            for (CorpusDocument doc : docs) {
                producer.send(new ProducerRecord<>(topic, doc.key().getBytes(StandardCharsets.UTF_8), doc.toEventJson()),
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
