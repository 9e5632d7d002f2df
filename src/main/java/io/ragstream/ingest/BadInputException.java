package io.ragstream.ingest;

/** Input that cannot become a {@link DocumentEvent}; carries the dead-letter reason. */
public final class BadInputException extends Exception {
    private final DeadLetter.Reason reason;

    public BadInputException(DeadLetter.Reason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public DeadLetter.Reason reason() {
        return reason;
    }
}
