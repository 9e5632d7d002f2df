package io.ragstream.ingest;

import org.apache.flink.connector.jdbc.core.datastream.source.reader.extractor.ResultExtractor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;

/**
 * One row of a backfilled table as a record of the pipeline: its columns as a JSON object (integers
 * and numerics as numbers, booleans as booleans, everything else, json and jsonb included, as
 * text), under the table's name as topic and the split column's value as offset (-1 where it is
 * NULL). It never judges a row: {@link TableRowParser} does, so a bad row is dead-lettered with its
 * bytes, like a bad line of a file, where an exception here would fail the job.
 */
public final class TableRowExtractor implements ResultExtractor<KafkaRecord> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final String splitColumn;

    public TableRowExtractor(String topic, String splitColumn) {
        this.topic = topic;
        this.splitColumn = splitColumn;
    }

    @Override
    public KafkaRecord extract(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        ObjectNode row = JSON.createObjectNode();
        long offset = -1;
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            String name = meta.getColumnLabel(i);
            int type = meta.getColumnType(i);
            if (type == Types.TINYINT
                    || type == Types.SMALLINT
                    || type == Types.INTEGER
                    || type == Types.BIGINT) {
                long v = rs.getLong(i);
                if (rs.wasNull()) {
                    row.putNull(name);
                } else {
                    row.put(name, v);
                    if (name.equals(splitColumn)) {
                        offset = v;
                    }
                }
            } else if ("bool".equals(meta.getColumnTypeName(i))) {
                boolean v = rs.getBoolean(i);
                if (rs.wasNull()) {
                    row.putNull(name);
                } else {
                    row.put(name, v);
                }
            } else {
                String v = rs.getString(i);
                if (v != null && (type == Types.NUMERIC || type == Types.DECIMAL)) {
                    row.set(name, number(v));
                } else {
                    row.put(name, v);
                }
            }
        }
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(row);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("cannot write row " + offset + " of " + topic + " as JSON", e);
        }
        return new KafkaRecord(topic, 0, offset, 0L, null, value);
    }

    /** A numeric column's value as a number; NaN and infinities, which JSON has not, as text. */
    private static JsonNode number(String v) {
        try {
            return JsonNodeFactory.instance.numberNode(new BigDecimal(v));
        } catch (NumberFormatException e) {
            return JsonNodeFactory.instance.textNode(v);
        }
    }

    @Override
    public String identifier() {
        return "ragstream-table-row:" + topic;
    }
}
