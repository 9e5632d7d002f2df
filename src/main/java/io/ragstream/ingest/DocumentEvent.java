package io.ragstream.ingest;

/**
 * One change to one document, whatever its source (document topic, CDC, backfill file).
 *
 * @param version ordering of changes to the same document; the database never lets an older
 *     version overwrite a newer one. An event from Kafka without one takes its record's
 *     timestamp; with neither (a backfill line) it is null and counts as newer than what the job
 *     holds
 * @param metadata a JSON object as text ("{}" when none)
 */
public record DocumentEvent(
        String tenant, String id, Long version, Op op, String title, String text, String metadata) {

    public enum Op { UPSERT, DELETE }

    public static final String DEFAULT_TENANT = "default";
    /** The newest version an event may carry: past it a document could never be changed again. */
    public static final long MAX_VERSION = Long.MAX_VALUE / 4;

    public DocumentEvent withVersion(long newVersion) {
        return new DocumentEvent(tenant, id, newVersion, op, title, text, metadata);
    }

    /** The key the job partitions and keeps state by. */
    public String key() {
        return tenant + "/" + id;
    }

    /** What gets chunked and embedded: the title, a blank line, the text (a missing part skipped). */
    public String content() {
        boolean hasTitle = title != null && !title.isBlank();
        boolean hasText = text != null && !text.isBlank();
        if (hasTitle && hasText) {
            return title.strip() + "\n\n" + text.strip();
        }
        return hasTitle ? title.strip() : hasText ? text.strip() : "";
    }
}
