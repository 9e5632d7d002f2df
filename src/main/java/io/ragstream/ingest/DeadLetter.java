package io.ragstream.ingest;

/** Input the job could not use, kept whole with where it came from and why. */
public record DeadLetter(
        Reason reason,
        String detail,
        String topic,
        int partition,
        long offset,
        byte[] key,
        byte[] value) {

    /** Reason codes: each has its own counter and lands in the dead-letter record as is. */
    public enum Reason {
        MALFORMED_JSON,
        INVALID_UTF8,
        NOT_AN_OBJECT,
        MISSING_ID,
        WRONG_TYPE,
        UNKNOWN_OP,
        EMPTY_TEXT,
        TOO_LARGE,
        MISSING_KEY,
        UNKNOWN_CDC_SHAPE,
        BACKEND_REJECTED,
        /**
         * A NUL or an unpaired surrogate in an id, tenant or metadata: PostgreSQL cannot store it,
         * and an id is never changed.
         */
        UNSTORABLE_CHARACTER,
        /** An id or tenant over ingest.max-id-bytes. */
        ID_TOO_LONG,
        /** Metadata over ingest.max-metadata-bytes or ingest.max-metadata-depth. */
        METADATA_TOO_LARGE,
        /**
         * A version past {@code DocumentEvent.MAX_VERSION}: it would leave no room for a newer one.
         */
        VERSION_OUT_OF_RANGE,
        /** No tenant while ingest.require-tenant is set. */
        MISSING_TENANT
    }

    public static DeadLetter of(KafkaRecord record, Reason reason, String detail) {
        return new DeadLetter(
                reason,
                detail,
                record.topic(),
                record.partition(),
                record.offset(),
                record.key(),
                record.value());
    }
}
