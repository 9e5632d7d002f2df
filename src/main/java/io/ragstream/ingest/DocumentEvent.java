package io.ragstream.ingest;

/**
 * One change to one document, whatever its source (document topic, CDC, backfill file).
 *
 * @param version ordering of changes to the same document; the database never lets an older version
 *     overwrite a newer one, and at equal versions a delete wins. Null when the event has none of
 *     its own: an upsert then counts as newer than what the job holds, a delete deletes the newest
 *     version known (DESIGN.md "Versions and deletes")
 * @param op {@link Op#KEEP_TEXT} is an upsert whose text is not in the event (Debezium's
 *     placeholder for an unchanged TOASTed column): the version and metadata change, the stored
 *     chunks stay
 * @param metadata a JSON object as text ("{}" when none)
 * @param timestamp the Kafka record's timestamp (0 when none): orders a versionless upsert after
 *     earlier ones even for a job that holds no state for the document; never used for a delete
 * @param sourceTopic the topic the event came from (null for files): a CDC truncate removes what
 *     its topic wrote
 */
public record DocumentEvent(
        String tenant,
        String id,
        Long version,
        Op op,
        String title,
        String text,
        String metadata,
        long timestamp,
        String sourceTopic) {

    /**
     * TRUNCATE: a CDC table was emptied; its version is the truncate's position, tenant and id are
     * empty. UNSTORED_TEXT: a chunk text of the document a backend rejected, read back from the
     * dead-letter topic: it is not stored, whatever the job held.
     */
    public enum Op {
        UPSERT,
        DELETE,
        KEEP_TEXT,
        TRUNCATE,
        UNSTORED_TEXT
    }

    public static final String DEFAULT_TENANT = "default";

    /** The newest version an event may carry: past it a document could never be changed again. */
    public static final long MAX_VERSION = Long.MAX_VALUE / 4;

    public DocumentEvent(
            String tenant,
            String id,
            Long version,
            Op op,
            String title,
            String text,
            String metadata) {
        this(tenant, id, version, op, title, text, metadata, 0, null);
    }

    public DocumentEvent withVersion(long newVersion) {
        return new DocumentEvent(
                tenant, id, newVersion, op, title, text, metadata, timestamp, sourceTopic);
    }

    public DocumentEvent withTitleAndText(String newTitle, String newText) {
        return new DocumentEvent(
                tenant, id, version, op, newTitle, newText, metadata, timestamp, sourceTopic);
    }

    /** Where it came from: the record's topic and timestamp. */
    public DocumentEvent from(String topic, long recordTimestamp) {
        return new DocumentEvent(
                tenant,
                id,
                version,
                op,
                title,
                text,
                metadata,
                Math.max(0, recordTimestamp),
                topic);
    }

    /**
     * The key the job partitions and keeps state by: one per (tenant, id), whatever characters they
     * hold.
     */
    public String key() {
        return key(tenant, id);
    }

    /**
     * {@code tenant/id}, with {@code %} and {@code /} in the tenant written as {@code %25} and
     * {@code %2F}: the first {@code /} always ends the tenant, so no two documents share a key, and
     * a tenant without those characters reads as it is.
     */
    public static String key(String tenant, String id) {
        String escaped =
                tenant.indexOf('%') < 0 && tenant.indexOf('/') < 0
                        ? tenant
                        : tenant.replace("%", "%25").replace("/", "%2F");
        return escaped + "/" + id;
    }

    /** The tenant of a {@link #key(String, String)}. */
    public static String tenantOfKey(String key) {
        return key.substring(0, key.indexOf('/')).replace("%2F", "/").replace("%25", "%");
    }

    /** The id of a {@link #key(String, String)}. */
    public static String idOfKey(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    /**
     * What gets chunked and embedded: the title, a blank line, the text (a missing part skipped).
     */
    public String content() {
        boolean hasTitle = title != null && !title.isBlank();
        boolean hasText = text != null && !text.isBlank();
        if (hasTitle && hasText) {
            return title.strip() + "\n\n" + text.strip();
        }
        return hasTitle ? title.strip() : hasText ? text.strip() : "";
    }
}
