package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.quantize.Quantization;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two tables, their names checked once so no SQL is ever built from input, the DDL (the
 * same {@code sql/schema.sql} a DBA runs with psql) and the statements the sink uses.
 */
public final class PgVectorSchema implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern PSQL_VARIABLE = Pattern.compile(":\"(\\w+)\"|:(\\w+)");
    private static final String DDL_RESOURCE = "/sql/schema.sql";

    private final String documentsTable;
    private final String chunksTable;
    private final Quantization quantization;
    private final int dimension;

    public PgVectorSchema(String documentsTable, String chunksTable, Quantization quantization, int dimension) {
        this.documentsTable = identifier(RagstreamOptions.POSTGRES_DOCUMENTS_TABLE.key(), documentsTable);
        this.chunksTable = identifier(RagstreamOptions.POSTGRES_CHUNKS_TABLE.key(), chunksTable);
        this.quantization = quantization;
        this.dimension = dimension;
    }

    public String documentsTable() {
        return documentsTable;
    }

    public String chunksTable() {
        return chunksTable;
    }

    /** The HNSW index on the chunks' embeddings. */
    public String chunksIndex() {
        return chunksTable + "_embedding_hnsw";
    }

    public Quantization quantization() {
        return quantization;
    }

    public int dimension() {
        return dimension;
    }

    /** Creates what is missing; an advisory lock keeps concurrent starts from racing. */
    public void create(Connection connection, int hnswM, int hnswEfConstruction) throws SQLException {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("documents_table", documentsTable);
        variables.put("chunks_table", chunksTable);
        variables.put("chunks_index", chunksIndex());
        variables.put("vector_type", quantization.columnType());
        variables.put("opclass", quantization.cosineOpclass());
        variables.put("dims", Integer.toString(dimension));
        variables.put("hnsw_m", Integer.toString(hnswM));
        variables.put("hnsw_ef_construction", Integer.toString(hnswEfConstruction));
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext('ragstream schema'))");
            for (String ddl : ddlStatements(variables)) {
                st.execute(ddl);
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** sql/schema.sql with psql's meta-commands dropped and its variables filled in. */
    static String[] ddlStatements(Map<String, String> variables) {
        StringBuilder sql = new StringBuilder();
        for (String line : readDdl().split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.startsWith("\\") && !trimmed.startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        Matcher m = PSQL_VARIABLE.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            boolean quoted = m.group(1) != null;
            String name = quoted ? m.group(1) : m.group(2);
            String value = variables.get(name);
            if (value == null) {
                throw new IllegalStateException(DDL_RESOURCE + " uses :" + name + ", which has no value");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(quoted ? '"' + value + '"' : value));
        }
        m.appendTail(out);
        return java.util.Arrays.stream(out.toString().split(";\\s*\n"))
                .filter(statement -> !statement.isBlank())
                .toArray(String[]::new);
    }

    private static String readDdl() {
        try (InputStream in = PgVectorSchema.class.getResourceAsStream(DDL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DDL_RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DDL_RESOURCE, e);
        }
    }

    private static String identifier(String key, String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new ConfigException(key, "'" + name + "' is not a plain lower-case SQL identifier ([a-z_][a-z0-9_]*)");
        }
        return name;
    }

    // ---- the sink's statements: every value is a parameter ----

    String upsertDocument() {
        return "INSERT INTO \"" + documentsTable + "\" AS d (tenant, doc_id, version, chunk_count, deleted, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (tenant, doc_id) DO UPDATE SET version = EXCLUDED.version,"
                + " chunk_count = EXCLUDED.chunk_count, deleted = EXCLUDED.deleted, updated_at = now()"
                + " WHERE EXCLUDED.version >= d.version";
    }

    String deleteChunksFrom() {
        return "DELETE FROM \"" + chunksTable + "\" WHERE tenant = ? AND doc_id = ? AND chunk_no >= ?";
    }

    String deleteChunk() {
        return "DELETE FROM \"" + chunksTable + "\" WHERE tenant = ? AND doc_id = ? AND chunk_no = ?";
    }

    String upsertChunk() {
        return "INSERT INTO \"" + chunksTable + "\" AS c (tenant, doc_id, chunk_no, version, content,"
                + " content_sha256, metadata, model, embedding, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, now())"
                + " ON CONFLICT (tenant, doc_id, chunk_no) DO UPDATE SET version = EXCLUDED.version,"
                + " content = EXCLUDED.content, content_sha256 = EXCLUDED.content_sha256,"
                + " metadata = EXCLUDED.metadata, model = EXCLUDED.model, embedding = EXCLUDED.embedding,"
                + " updated_at = now()"
                + " WHERE EXCLUDED.version >= c.version";
    }

    /** An unchanged chunk takes the new version; it matches only if the stored text is the same. */
    String restampChunk() {
        return "UPDATE \"" + chunksTable + "\" SET version = ?, metadata = ?::jsonb, updated_at = now()"
                + " WHERE tenant = ? AND doc_id = ? AND chunk_no = ? AND content_sha256 = ? AND version <= ?";
    }
}
