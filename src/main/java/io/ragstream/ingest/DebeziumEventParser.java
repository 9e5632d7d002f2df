package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;
import io.ragstream.ingest.DocumentEvent.Op;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import static io.ragstream.ingest.DocumentEventParser.metadata;
import static io.ragstream.ingest.DocumentEventParser.optionalText;
import static io.ragstream.ingest.DocumentEventParser.readJson;
import static io.ragstream.ingest.DocumentEventParser.requiredId;

/**
 * Turns a Debezium JSON change event (PostgreSQL or MySQL connector, DESIGN.md "Inputs", CDC) into
 * a {@link DocumentEvent}.
 *
 * <p>What it reads:
 *
 * <ul>
 *   <li>The value as Kafka Connect's JsonConverter writes it, with {@code schemas.enable=true}
 *       ({@code {"schema": ..., "payload": {envelope}}}) or without ({@code {envelope}}). The
 *       schema is not needed and not read.
 *   <li>Ops {@code c} (create), {@code r} (snapshot read) and {@code u} (update) upsert the {@code
 *       after} row; {@code d} deletes the row named by {@code before}, or by the record key where
 *       {@code before} lacks the id (PostgreSQL {@code REPLICA IDENTITY DEFAULT} carries only the
 *       key columns, {@code NOTHING} none). {@code t} (truncate) deletes every document the topic
 *       wrote before it. Heartbeats, schema changes, transaction boundaries and {@code m} (logical
 *       decoding messages) change nothing (null); any other op is {@link Reason#UNKNOWN_OP}.
 *   <li>A tombstone (null value), and a wrapped value whose payload is null (what JsonConverter
 *       writes for a null value that has a schema), deletes the document named by the record key, a
 *       Debezium key object such as {@code {"id": 42}} or {@code {"schema": ..., "payload": {"id":
 *       42}}}.
 *   <li>The version is the change's source position: {@code source.lsn} for the PostgreSQL
 *       connector (required: falling back to {@code ts_ms}, a number of another scale, would make
 *       later LSNs look older), {@code source.ts_ms} for every other connector. Tombstones carry
 *       none (null: newer than what the job holds).
 * </ul>
 *
 * <p>The tenant is the row's tenant column; for a delete, {@code before}'s, else the record key's,
 * else {@value DocumentEvent#DEFAULT_TENANT}; a tombstone's comes from the key. That is exact for a
 * table without a tenant column, and for one whose primary key includes the tenant (it is then in
 * the key and in every {@code before}). For a multi-tenant table keyed by the id alone it is not: a
 * PostgreSQL delete under {@code REPLICA IDENTITY DEFAULT}, and every tombstone, cannot name the
 * tenant and would address {@code default/<id>}. Such tables need the tenant in the primary key, or
 * {@code REPLICA IDENTITY FULL} together with {@code tombstones.on.delete=false}.
 *
 * <p>The text columns' values are stripped and joined by a blank line, so {@link
 * DocumentEvent#content()} equals that join. With the default columns ({@code title}, {@code text})
 * they fill the event's title and text like a document event; with any other list the title is null
 * and the text is the join.
 */
public final class DebeziumEventParser implements EventParser {
    private static final long serialVersionUID = 1L;

    private static final String POSTGRESQL = "postgresql";
    private static final List<String> TITLE_AND_TEXT = List.of("title", "text");

    /**
     * What Debezium writes for an unchanged TOASTed column it did not read (REPLICA IDENTITY
     * DEFAULT).
     */
    static final String UNAVAILABLE_VALUE = "__debezium_unavailable_value";

    private final CdcColumns columns;
    private final IngestLimits limits;

    public DebeziumEventParser(CdcColumns columns, IngestLimits limits) {
        this.columns = Objects.requireNonNull(columns, "columns");
        this.limits = limits;
    }

    public DebeziumEventParser(CdcColumns columns, int maxDocumentBytes) {
        this(columns, IngestLimits.defaults().withMaxDocumentBytes(maxDocumentBytes));
    }

    /** With {@link CdcColumns#defaults()}. */
    public DebeziumEventParser(int maxDocumentBytes) {
        this(CdcColumns.defaults(), maxDocumentBytes);
    }

    public CdcColumns columns() {
        return columns;
    }

    @Override
    public DocumentEvent parse(byte[] key, byte[] value) throws BadInputException {
        if (value == null) {
            return deleteByKey(key, "a tombstone (null value)");
        }
        DocumentEventParser.checkSize(value, limits);
        JsonNode node = readJson(value);
        if (!node.isObject()) {
            throw new BadInputException(
                    Reason.NOT_AN_OBJECT,
                    "expected a Debezium change event (a JSON object), got " + node.getNodeType());
        }
        JsonNode envelope = node;
        if (!node.has("op") && node.has("schema") && node.has("payload")) {
            envelope = node.get("payload");
            if (envelope.isNull()) {
                return deleteByKey(key, "a null 'payload' (a tombstone written with a schema)");
            }
            if (!envelope.isObject()) {
                throw new BadInputException(
                        Reason.UNKNOWN_CDC_SHAPE,
                        "'payload' must be a Debezium envelope object, got "
                                + envelope.getNodeType());
            }
        }
        JsonNode op = envelope.get("op");
        if ((op == null || op.isNull()) && carriesNoChange(envelope)) {
            return null;
        }
        if (op == null || op.isNull()) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "no 'op': not a Debezium change event (fields: "
                            + fieldNames(envelope)
                            + "); a row flattened by Debezium's ExtractNewRecordState is no"
                            + " change event: leave that transform off for this topic");
        }
        if (!op.isTextual()) {
            throw new BadInputException(
                    Reason.WRONG_TYPE, "'op' must be a string, got " + op.getNodeType());
        }
        return switch (op.textValue()) {
            case "c", "r", "u" -> upsert(envelope, op.textValue());
            case "d" -> delete(key, envelope);
            case "t" ->
                    new DocumentEvent(
                            "",
                            "",
                            version(envelope),
                            Op.TRUNCATE,
                            null,
                            null,
                            "{}"); // every row of the topic's table
            case "m" -> null; // a logical decoding message: no row changed
            default ->
                    throw new BadInputException(
                            Reason.UNKNOWN_OP,
                            "op '"
                                    + op.textValue()
                                    + "' is not a Debezium row change (c, r, u, d)");
        };
    }

    private DocumentEvent upsert(JsonNode envelope, String op) throws BadInputException {
        JsonNode after = row(envelope, "after");
        if (after == null) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE, "op '" + op + "' needs an 'after' row, got none");
        }
        return rowUpsert(after, "after", version(envelope), true);
    }

    /**
     * The document a row holds, as an upsert at {@code version}: the id, text, tenant and metadata
     * columns read as this class's comment says. {@code where} names the row in complaints ("after:
     * 'id' is missing"); {@code debeziumPlaceholders}: whether {@value #UNAVAILABLE_VALUE} means a
     * text Debezium did not read (a row read straight from its table holds no such thing). Shared
     * with {@link TableRowParser}, so a table's backfill and its change events make the same
     * documents.
     */
    DocumentEvent rowUpsert(JsonNode row, String where, Long version, boolean debeziumPlaceholders)
            throws BadInputException {
        String id = in(where, () -> requiredId(row, columns.idColumn()));
        String tenant = tenantOrDefault(tenant(row, where), "the row");

        if (debeziumPlaceholders && textUnavailable(row)) {
            return new DocumentEvent(
                    tenant, id, version, Op.KEEP_TEXT, null, null, metadataOf(row, where));
        }
        List<String> values = new ArrayList<>(columns.textColumns().size());
        List<String> present = new ArrayList<>(columns.textColumns().size());
        for (String column : columns.textColumns()) {
            String v = in(where, () -> optionalText(row, column));
            String stripped = v == null || v.isBlank() ? null : v.strip();
            values.add(stripped);
            if (stripped != null) {
                present.add(stripped);
            }
        }
        if (present.isEmpty()) {
            throw new BadInputException(
                    Reason.EMPTY_TEXT,
                    "an upsert needs text in one of the columns "
                            + columns.textColumns()
                            + "; all are missing, null or blank");
        }
        boolean titleAndText = columns.textColumns().equals(TITLE_AND_TEXT);
        String title = titleAndText ? values.get(0) : null;
        String text = titleAndText ? values.get(1) : String.join("\n\n", present);

        return new DocumentEvent(
                tenant, id, version, Op.UPSERT, title, text, metadataOf(row, where));
    }

    private DocumentEvent delete(byte[] key, JsonNode envelope) throws BadInputException {
        JsonNode before = row(envelope, "before");
        Long version = version(envelope);
        String id =
                before == null || absent(before.get(columns.idColumn()))
                        ? null
                        : in("before", () -> requiredId(before, columns.idColumn()));
        String tenant = before == null ? null : tenant(before, "before");
        if (id == null || (tenant == null && columns.tenantColumn() != null)) {
            JsonNode keyRow = keyRow(key);
            if (id == null) {
                if (keyRow == null) {
                    throw new BadInputException(
                            Reason.MISSING_KEY,
                            "a delete whose 'before' has no '"
                                    + columns.idColumn()
                                    + "' needs the record key");
                }
                id = in("record key", () -> requiredId(keyRow, columns.idColumn()));
            }
            if (tenant == null && keyRow != null) {
                tenant = tenant(keyRow, "record key");
            }
        }
        return new DocumentEvent(
                tenantOrDefault(tenant, "the delete"), id, version, Op.DELETE, null, null, "{}");
    }

    /** A delete named by the record key alone: its id column, its tenant column if it has one. */
    private DocumentEvent deleteByKey(byte[] key, String what) throws BadInputException {
        JsonNode keyRow = keyRow(key);
        if (keyRow == null) {
            throw new BadInputException(
                    Reason.MISSING_KEY, what + " needs the record key to name the document");
        }
        String id = in("record key", () -> requiredId(keyRow, columns.idColumn()));
        String tenant = tenant(keyRow, "record key");
        return new DocumentEvent(
                tenantOrDefault(tenant, what), id, null, Op.DELETE, null, null, "{}");
    }

    /**
     * The key's row: {@code {"id": 42}} or {@code {"schema": ..., "payload": {"id": 42}}}; null
     * without a key.
     */
    private static JsonNode keyRow(byte[] key) throws BadInputException {
        if (key == null || key.length == 0) {
            return null;
        }
        JsonNode node = in("record key", () -> readJson(key));
        if (node.isObject() && node.has("schema") && node.has("payload")) {
            node = node.get("payload");
        }
        if (!node.isObject()) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "record key must be a Debezium key object such as {\"id\": 42}, got "
                            + node.getNodeType());
        }
        return node;
    }

    /**
     * Heartbeats ({@code {"ts_ms": ...}}), schema changes ({@code ddl}, {@code tableChanges}) and
     * transaction boundaries ({@code status} BEGIN or END) share CDC topics with row changes in
     * some setups; they change no document.
     */
    private static boolean carriesNoChange(JsonNode envelope) {
        boolean heartbeat = envelope.size() == 1 && envelope.has("ts_ms");
        boolean schemaChange = envelope.has("ddl") || envelope.has("tableChanges");
        String status = envelope.path("status").asText("");
        boolean transaction =
                (status.equals("BEGIN") || status.equals("END")) && envelope.has("id");
        return heartbeat || schemaChange || transaction;
    }

    /** A text column Debezium did not read: the text did not change. */
    private boolean textUnavailable(JsonNode after) {
        for (String column : columns.textColumns()) {
            if (UNAVAILABLE_VALUE.equals(after.path(column).textValue())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Only a table with a tenant column can lack one; a table without files every row under the
     * default tenant.
     */
    private String tenantOrDefault(String tenant, String where) throws BadInputException {
        return columns.tenantColumn() == null
                ? DocumentEvent.DEFAULT_TENANT
                : limits.tenantOrDefault(
                        tenant, where + " (column '" + columns.tenantColumn() + "')");
    }

    /** The tenant column's value (a string or an integer), or null when the row has none. */
    private String tenant(JsonNode row, String where) throws BadInputException {
        if (columns.tenantColumn() == null) {
            return null;
        }
        JsonNode v = row.get(columns.tenantColumn());
        if (absent(v)) {
            return null;
        }
        if (v.isTextual() || v.isIntegralNumber()) {
            return v.asText();
        }
        throw new BadInputException(
                Reason.WRONG_TYPE,
                where
                        + ": '"
                        + columns.tenantColumn()
                        + "' must be a string or an integer, got "
                        + v.getNodeType());
    }

    private String metadataOf(JsonNode row, String where) throws BadInputException {
        if (columns.metadataColumn() == null) {
            return "{}";
        }
        JsonNode value = row.get(columns.metadataColumn());
        if (value != null && UNAVAILABLE_VALUE.equals(value.textValue())) {
            return "{}"; // not read by Debezium; README "Change data capture" says so
        }
        try {
            return metadata(value, limits);
        } catch (BadInputException e) {
            if (e.reason() != Reason.MALFORMED_JSON && e.reason() != Reason.WRONG_TYPE) {
                throw e;
            }
            // a string that is not JSON at all is a wrong value in this column, not a malformed
            // record
            throw new BadInputException(
                    Reason.WRONG_TYPE,
                    where
                            + ": column '"
                            + columns.metadataColumn()
                            + "' must hold a JSON object or a string holding one: "
                            + e.getMessage());
        }
    }

    /** {@code before} or {@code after}: an object, or null when absent or null. */
    private static JsonNode row(JsonNode envelope, String field) throws BadInputException {
        JsonNode v = envelope.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "'" + field + "' must be a row object or null, got " + v.getNodeType());
        }
        return v;
    }

    /** {@code source.lsn} for PostgreSQL, {@code source.ts_ms} for the other connectors. */
    private static Long version(JsonNode envelope) throws BadInputException {
        JsonNode source = envelope.get("source");
        if (source == null || source.isNull()) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "no 'source': the change has no position to version it by");
        }
        if (!source.isObject()) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "'source' must be an object, got " + source.getNodeType());
        }
        String field = POSTGRESQL.equals(source.path("connector").textValue()) ? "lsn" : "ts_ms";
        JsonNode v = source.get(field);
        if (absent(v)) {
            throw new BadInputException(
                    Reason.UNKNOWN_CDC_SHAPE,
                    "no 'source."
                            + field
                            + "' (connector '"
                            + source.path("connector").asText("?")
                            + "'): the change has no position to version it by");
        }
        if (v.canConvertToExactIntegral() && v.canConvertToLong() && v.asLong() >= 0) {
            return v.asLong();
        }
        throw new BadInputException(
                Reason.WRONG_TYPE,
                "'source." + field + "' must be a non-negative integer, got " + v);
    }

    private static boolean absent(JsonNode v) {
        return v == null || v.isNull() || (v.isTextual() && v.textValue().isEmpty());
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext() && names.size() < 10; ) {
            names.add(it.next());
        }
        return names.isEmpty()
                ? "none"
                : String.join(", ", names) + (node.size() > names.size() ? ", ..." : "");
    }

    @FunctionalInterface
    private interface Read<T> {
        T read() throws BadInputException;
    }

    /** Runs a shared helper and says where its complaint came from ("after: 'id' is missing"). */
    private static <T> T in(String where, Read<T> read) throws BadInputException {
        try {
            return read.read();
        } catch (BadInputException e) {
            throw new BadInputException(e.reason(), where + ": " + e.getMessage());
        }
    }
}
