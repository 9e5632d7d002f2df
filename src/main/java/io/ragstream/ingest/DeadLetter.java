package io.ragstream.ingest;

/** Input the job could not use, kept whole with where it came from and why. */
public record DeadLetter(
        Reason reason, String detail, String topic, int partition, long offset, byte[] key, byte[] value) {

    /** Reason codes: each has its own counter and lands in the dead-letter record as is. */
    public enum Reason {
        MALFORMED_JSON, INVALID_UTF8, NOT_AN_OBJECT, MISSING_ID, WRONG_TYPE, UNKNOWN_OP,
        EMPTY_TEXT, TOO_LARGE, MISSING_KEY, UNKNOWN_CDC_SHAPE, BACKEND_REJECTED
    }

    public static DeadLetter of(KafkaRecord record, Reason reason, String detail) {
        return new DeadLetter(reason, detail, record.topic(), record.partition(), record.offset(),
                record.key(), record.value());
    }
}
