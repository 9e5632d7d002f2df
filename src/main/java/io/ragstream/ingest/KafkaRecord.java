package io.ragstream.ingest;

/** A record as it came off Kafka, bytes untouched, so bad input can be dead-lettered as it was. */
public record KafkaRecord(
        String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {}
