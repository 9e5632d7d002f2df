package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import com.fasterxml.jackson.databind.JsonNode;

import static io.ragstream.ingest.DocumentEventParser.readJson;

/**
 * A row of a backfilled table ({@link TableRowExtractor}'s JSON object of its columns) as an upsert
 * of its document, mapped by the {@code cdc.*} columns as {@link DebeziumEventParser} maps a
 * change's {@code after} row. The version is the version column's value, or none (null) without
 * one.
 */
public final class TableRowParser implements EventParser {
    private static final long serialVersionUID = 1L;

    private final DebeziumEventParser rows;
    private final String versionColumn;
    private final IngestLimits limits;

    /** {@code versionColumn}: null when the rows carry no version. */
    public TableRowParser(CdcColumns columns, String versionColumn, IngestLimits limits) {
        this.rows = new DebeziumEventParser(columns, limits);
        this.versionColumn = versionColumn;
        this.limits = limits;
    }

    @Override
    public DocumentEvent parse(byte[] key, byte[] value) throws BadInputException {
        DocumentEventParser.checkSize(value, limits);
        JsonNode row = readJson(value);
        if (!row.isObject()) {
            throw new BadInputException(
                    Reason.NOT_AN_OBJECT,
                    "expected a row (a JSON object), got " + row.getNodeType());
        }
        return rows.rowUpsert(row, "row", version(row), false);
    }

    private Long version(JsonNode row) throws BadInputException {
        if (versionColumn == null) {
            return null;
        }
        JsonNode v = row.get(versionColumn);
        if (v == null || v.isNull()) {
            return null; // like a document event without a version
        }
        if (v.canConvertToExactIntegral() && v.canConvertToLong()) {
            return v.asLong(); // a negative one is out of range: StorableEvents says so
        }
        throw new BadInputException(
                Reason.WRONG_TYPE,
                "row: version column '" + versionColumn + "' must hold an integer, got " + v);
    }
}
