package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import java.io.Serializable;

/**
 * What an event may hold and still be stored (the ingest.* settings); see {@link StorableEvents}.
 */
public record IngestLimits(
        int maxDocumentBytes,
        int maxIdBytes,
        int maxMetadataBytes,
        int maxMetadataDepth,
        boolean requireTenant)
        implements Serializable {

    /** The primary key (tenant, doc_id, chunk_no) must fit a btree index row (2,704 bytes). */
    public static final int ID_BYTES_CEILING = 1024;

    public static IngestLimits defaults() {
        return new IngestLimits(
                RagstreamOptions.INGEST_MAX_DOCUMENT_BYTES.defaultValue(),
                RagstreamOptions.INGEST_MAX_ID_BYTES.defaultValue(),
                RagstreamOptions.INGEST_MAX_METADATA_BYTES.defaultValue(),
                RagstreamOptions.INGEST_MAX_METADATA_DEPTH.defaultValue(),
                false);
    }

    public static IngestLimits from(RagstreamConfig config) {
        int maxIdBytes = config.positive(RagstreamOptions.INGEST_MAX_ID_BYTES);
        if (maxIdBytes > ID_BYTES_CEILING) {
            throw new ConfigException(
                    RagstreamOptions.INGEST_MAX_ID_BYTES.key(),
                    "must be at most "
                            + ID_BYTES_CEILING
                            + " (tenant and id together must fit PostgreSQL's index row), was "
                            + maxIdBytes);
        }
        return new IngestLimits(
                config.positive(RagstreamOptions.INGEST_MAX_DOCUMENT_BYTES),
                maxIdBytes,
                config.positive(RagstreamOptions.INGEST_MAX_METADATA_BYTES),
                config.positive(RagstreamOptions.INGEST_MAX_METADATA_DEPTH),
                config.get(RagstreamOptions.INGEST_REQUIRE_TENANT));
    }

    public IngestLimits withMaxDocumentBytes(int bytes) {
        return new IngestLimits(
                bytes, maxIdBytes, maxMetadataBytes, maxMetadataDepth, requireTenant);
    }

    public IngestLimits withRequireTenant(boolean require) {
        return new IngestLimits(
                maxDocumentBytes, maxIdBytes, maxMetadataBytes, maxMetadataDepth, require);
    }

    /**
     * Refuses a source without a tenant column while a tenant is required: every record of it would
     * be dead-lettered. {@code source} says which ("table docs", "the change events on [cdc]").
     */
    void requireTenantColumn(String tenantColumn, String source) {
        if (requireTenant && tenantColumn == null) {
            throw new ConfigException(
                    RagstreamOptions.INGEST_REQUIRE_TENANT.key(),
                    "is set, but "
                            + RagstreamOptions.CDC_TENANT_COLUMN.key()
                            + " names no column of "
                            + source
                            + ": every record of it would be dead-lettered; name the tenant column or"
                            + " unset the requirement");
        }
    }

    /**
     * The tenant an event names, {@value DocumentEvent#DEFAULT_TENANT} when it names none, unless
     * one is required.
     */
    String tenantOrDefault(String tenant, String where) throws BadInputException {
        if (tenant != null && !tenant.isEmpty()) {
            return tenant;
        }
        if (requireTenant) {
            throw new BadInputException(
                    DeadLetter.Reason.MISSING_TENANT,
                    where + " names no tenant, and ingest.require-tenant is set");
        }
        return DocumentEvent.DEFAULT_TENANT;
    }
}
