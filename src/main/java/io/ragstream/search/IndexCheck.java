package io.ragstream.search;

import io.ragstream.config.RagstreamOptions;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorExtension;
import io.ragstream.sink.PgVectorSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks, before the first search, that the chunks table can answer this model's queries: it
 * exists, stores vectors of the configured type and the model's dimension, and the tenant's chunks
 * were embedded with this model. Without it a mismatch shows as a cryptic SQL error, or worse, as
 * results that are plausible and wrong (two models of the same dimension). A pgvector older than
 * the job accepts is only warned about: a search only reads; the job, which writes, refuses it.
 */
final class IndexCheck {
    private final PgVectorSchema schema;
    private final String url;
    private final String model;
    private final int dimension;
    private volatile boolean tableChecked;

    /** Tenants whose chunks were found to carry this model: checked once each. */
    private final Set<String> tenantsChecked = ConcurrentHashMap.newKeySet();

    IndexCheck(PgVectorSchema schema, String url, String model, int dimension) {
        this.schema = schema;
        this.url = url;
        this.model = model;
        this.dimension = dimension;
    }

    /** Whether {@link #verify} has passed for this tenant: nothing left to check. */
    boolean verified(String tenant) {
        return tableChecked && tenantsChecked.contains(tenant);
    }

    void verify(Connection c, String tenant) throws SQLException {
        verifyTable(c);
        if (!tenantsChecked.contains(tenant)) {
            verifyModel(c, tenant);
            tenantsChecked.add(tenant);
        }
    }

    /** What does not depend on the tenant, once. */
    void verifyTable(Connection c) throws SQLException {
        if (!tableChecked) {
            PgVectorExtension.warnIfUnsafe(c, url);
            verifyTableShape(c);
            tableChecked = true;
        }
    }

    /** Nothing indexed yet: unavailable until the job has made the table, not a setup error. */
    static SearchException missingTable(String table) {
        return new SearchException(
                SearchException.Fault.UNAVAILABLE,
                "table "
                        + table
                        + " does not exist: nothing has been indexed into it yet. "
                        + "Index documents first (bin/ragstream run, or bin/ragstream run --backfill FILE), or set "
                        + RagstreamOptions.POSTGRES_CHUNKS_TABLE.key()
                        + " to the table that holds them",
                null);
    }

    private void verifyTableShape(Connection c) throws SQLException {
        String table = schema.chunksTable();
        String sql =
                "SELECT r.oid IS NOT NULL, t.typname, a.atttypmod"
                        + " FROM (SELECT to_regclass(?) AS oid) r"
                        + " LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attname = ? AND NOT a.attisdropped"
                        + " LEFT JOIN pg_type t ON t.oid = a.atttypid";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, table);
            // pgvector keeps the dimension in the type modifier; int8's codes are bytea, its sign
            // bits bit(d)
            st.setString(
                    2, schema.quantization() == Quantization.INT8 ? "embedding_bits" : "embedding");
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw missingTable(table);
                }
                // a table of another quantization is a configuration error, as the job finds it
                schema.checkQuantization(c);
                String type = rs.getString(2);
                if (type == null) {
                    throw new SearchException(
                            "table "
                                    + table
                                    + " has no embedding column, so it is not a ragstream "
                                    + "chunks table: set "
                                    + RagstreamOptions.POSTGRES_CHUNKS_TABLE.key()
                                    + " to the table the job writes",
                            null);
                }
                int storedDimension = rs.getInt(3);
                verifyDimension(table, type, storedDimension);
            }
        }
    }

    private void verifyDimension(String table, String type, int storedDimension) {
        if (storedDimension != dimension) {
            throw new SearchException(
                    "table "
                            + table
                            + " stores "
                            + storedDimension
                            + "-dimension vectors ("
                            + type
                            + "("
                            + storedDimension
                            + ")), but the configured model "
                            + model
                            + " gives "
                            + dimension
                            + ": search with the model that indexed the table ("
                            + RagstreamOptions.EMBEDDING_MODEL.key()
                            + ", "
                            + RagstreamOptions.EMBEDDING_DIMENSION.key()
                            + "), or index into another table ("
                            + RagstreamOptions.POSTGRES_CHUNKS_TABLE.key()
                            + ")",
                    null);
        }
    }

    /** The primary key leads with the tenant, so this reads only the tenant's own rows. */
    private void verifyModel(Connection c, String tenant) throws SQLException {
        String sql =
                "SELECT model, count(*) FROM \""
                        + schema.chunksTable()
                        + "\" WHERE tenant = ? AND model <> ?"
                        + " GROUP BY model ORDER BY count(*) DESC LIMIT 1";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, tenant);
            st.setString(2, model);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    String other = rs.getString(1);
                    throw new SearchException(
                            rs.getLong(2)
                                    + " chunks of tenant '"
                                    + tenant
                                    + "' in table "
                                    + schema.chunksTable()
                                    + " were embedded with "
                                    + other
                                    + ", but the configured model is "
                                    + model
                                    + ", and vectors of two models cannot be compared: search with "
                                    + RagstreamOptions.EMBEDDING_MODEL.key()
                                    + "="
                                    + other
                                    + " (and its backend), or re-index "
                                    + "the documents with "
                                    + model
                                    + " into another table ("
                                    + RagstreamOptions.POSTGRES_CHUNKS_TABLE.key()
                                    + ")",
                            null);
                }
            }
        }
    }
}
