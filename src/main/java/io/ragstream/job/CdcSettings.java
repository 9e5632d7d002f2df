package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.ingest.CdcColumns;

/** The cdc.* settings as the columns the Debezium parser reads. */
final class CdcSettings {

    private CdcSettings() {}

    static CdcColumns columns(RagstreamConfig config) {
        try {
            return new CdcColumns(
                    config.get(RagstreamOptions.CDC_ID_COLUMN),
                    config.get(RagstreamOptions.CDC_TEXT_COLUMNS),
                    blankToNull(config.get(RagstreamOptions.CDC_TENANT_COLUMN)),
                    blankToNull(config.get(RagstreamOptions.CDC_METADATA_COLUMN)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cdc.*", e.getMessage());
        }
    }

    private static String blankToNull(String column) {
        return column == null || column.isBlank() ? null : column;
    }
}
