package io.ragstream.ingest;

/**
 * One change to one document, whatever its source (document topic, CDC, backfill file).
 *
 * @param version ordering of changes to the same document, or null when the event carries none:
 *     then it counts as newer than whatever the job holds; the database never lets an older
 *     version overwrite a newer one
 * @param metadata a JSON object as text ("{}" when none)
 */
public record DocumentEvent(
        String tenant, String id, Long version, Op op, String title, String text, String metadata) {

    public enum Op { UPSERT, DELETE }

    public static final String DEFAULT_TENANT = "default";

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
