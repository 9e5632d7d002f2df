package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.configuration.ConfigOption;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which columns of a captured table make up a document (DESIGN.md "Inputs", CDC).
 *
 * @param idColumn the column holding the document id (a string or an integer); required
 * @param textColumns the columns whose values, joined by a blank line, are the text to embed (a
 *     missing, null or blank one skipped); at least one, no duplicates
 * @param tenantColumn the column holding the tenant (a string or an integer; absent, null or empty
 *     → {@value DocumentEvent#DEFAULT_TENANT}), or null when the table has none and every row
 *     belongs to the default tenant
 * @param metadataColumn the column holding the metadata (a JSON object, or a string holding one, as
 *     json/jsonb columns arrive), or null when the table has none and every document gets "{}"
 */
public record CdcColumns(
        String idColumn, List<String> textColumns, String tenantColumn, String metadataColumn)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The setting of each component, to name in a configuration error. */
    private static final Map<String, ConfigOption<?>> SETTINGS =
            Map.of(
                    "idColumn", RagstreamOptions.CDC_ID_COLUMN,
                    "textColumns", RagstreamOptions.CDC_TEXT_COLUMNS,
                    "tenantColumn", RagstreamOptions.CDC_TENANT_COLUMN,
                    "metadataColumn", RagstreamOptions.CDC_METADATA_COLUMN);

    public CdcColumns {
        requireName("idColumn", idColumn);
        Objects.requireNonNull(textColumns, "textColumns");
        if (textColumns.isEmpty()) {
            throw new IllegalArgumentException(
                    "textColumns: name at least one column that holds text");
        }
        for (String column : textColumns) {
            requireName("textColumns", column);
        }
        if (new HashSet<>(textColumns).size() != textColumns.size()) {
            throw new IllegalArgumentException(
                    "textColumns: a column is named twice in " + textColumns);
        }
        textColumns = List.copyOf(textColumns);
        if (tenantColumn != null) {
            requireName("tenantColumn", tenantColumn);
        }
        if (metadataColumn != null) {
            requireName("metadataColumn", metadataColumn);
        }
    }

    /** The cdc.* settings; an empty tenant or metadata column means the table has none. */
    public static CdcColumns from(RagstreamConfig config) {
        try {
            return new CdcColumns(
                    config.get(RagstreamOptions.CDC_ID_COLUMN),
                    config.get(RagstreamOptions.CDC_TEXT_COLUMNS),
                    blankToNull(config.get(RagstreamOptions.CDC_TENANT_COLUMN)),
                    blankToNull(config.get(RagstreamOptions.CDC_METADATA_COLUMN)));
        } catch (IllegalArgumentException e) {
            // the message starts with the component at fault: name its setting
            String message = e.getMessage();
            int colon = message.indexOf(':');
            ConfigOption<?> setting = colon < 0 ? null : SETTINGS.get(message.substring(0, colon));
            throw setting == null
                    ? new ConfigException("cdc.*", message)
                    : new ConfigException(setting.key(), message.substring(colon + 1).strip());
        }
    }

    private static String blankToNull(String column) {
        return column == null || column.isBlank() ? null : column;
    }

    /**
     * DESIGN.md's defaults: {@code id}, {@code title} + {@code text}, {@code tenant}, {@code
     * metadata}.
     */
    public static CdcColumns defaults() {
        return new CdcColumns("id", List.of("title", "text"), "tenant", "metadata");
    }

    private static void requireName(String what, String column) {
        if (column == null || column.isBlank()) {
            throw new IllegalArgumentException(
                    what + ": a column name must not be empty, got '" + column + "'");
        }
    }
}
