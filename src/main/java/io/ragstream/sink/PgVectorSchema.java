package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.quantize.Quantization;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The two tables, their names checked once so no SQL is ever built from input, the DDL (the same
 * {@code sql/schema.sql} a DBA runs with psql) and the statements the sink uses.
 */
public final class PgVectorSchema implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /**
     * psql's {@code :"name"}, {@code :'name'} and {@code :name}; group 1 is the quote, group 2 the
     * name.
     */
    private static final Pattern PSQL_VARIABLE = Pattern.compile(":([\"']?)(\\w+)\\1");

    private static final String DDL_RESOURCE = "/sql/schema.sql";

    /**
     * The only forms of index and column DDL the job runs, so it can tell whether they are needed.
     */
    private static final Pattern CREATE_INDEX =
            Pattern.compile("CREATE INDEX IF NOT EXISTS \"(\\w+)\"");

    private static final Logger LOG = LoggerFactory.getLogger(PgVectorSchema.class);

    /** How long a schema statement waits for a table another transaction holds. */
    public static final int LOCK_TIMEOUT_SECONDS = 10;

    /** PostgreSQL's answer when a lock was not granted within the lock timeout. */
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private static final Pattern CREATE_EXTENSION =
            Pattern.compile("CREATE EXTENSION IF NOT EXISTS (\\w+)");

    private static final Pattern DROP_INDEX = Pattern.compile("DROP INDEX IF EXISTS \"(\\w+)\"");

    private static final Pattern ADD_COLUMN =
            Pattern.compile("ALTER TABLE \"(\\w+)\" ADD COLUMN IF NOT EXISTS\\s+(\\w+)");

    private final String documentsTable;
    private final String chunksTable;
    private final Quantization quantization;
    private final int dimension;

    public PgVectorSchema(
            String documentsTable, String chunksTable, Quantization quantization, int dimension) {
        this.documentsTable =
                identifier(RagstreamOptions.POSTGRES_DOCUMENTS_TABLE.key(), documentsTable);
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
    public void create(Connection connection, int hnswM, int hnswEfConstruction)
            throws SQLException {
        create(connection, hnswM, hnswEfConstruction, true);
    }

    /** The GIN index on the chunks' tenant and full-text representation ({@code content_tsv}). */
    public String chunksTextIndex() {
        return chunksTable + "_words_gin";
    }

    /** The HNSW index on the chunks' BM25 sparse vectors ({@code content_terms}). */
    public String chunksTermsIndex() {
        return chunksTable + "_terms_hnsw";
    }

    /**
     * The same; without {@code withIndex}, the tables only. A bulk load into a new table is several
     * times faster with the HNSW and GIN indexes built afterwards (a later {@link #create} builds
     * them). An index that exists is not asked for again, nor a column that exists added: {@code
     * CREATE INDEX IF NOT EXISTS} and {@code ALTER TABLE .. ADD COLUMN IF NOT EXISTS} lock the
     * table before they look, and so wait on any transaction an exactly-once sink left prepared,
     * which only the job about to start can commit; so does {@code DROP INDEX IF EXISTS} of an
     * index an older ragstream made. The catalog is read instead.
     */
    public void create(Connection connection, int hnswM, int hnswEfConstruction, boolean withIndex)
            throws SQLException {
        Map<String, String> variables = variables(hnswM, hnswEfConstruction);
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext('ragstream schema'))");
            // a statement that locks a table: a transaction an exactly-once sink left prepared
            // would hold it for ever, since only the job about to start can commit it
            st.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT_SECONDS + "s'");
            // an index over a loaded table builds for minutes: a statement_timeout a DBA set for
            // the server or the role would cancel it at every start (pg_restore sets 0 too)
            st.execute("SET LOCAL statement_timeout = 0");
            for (DdlStatement ddl : ddlStatements()) {
                String sql = ddl.sql(variables);
                // read inside this transaction: a table it has just created already has its columns
                if (!needed(connection, sql, withIndex)) {
                    continue;
                }
                if (ddl.gset()) {
                    gset(st, sql, variables);
                } else if (sql.strip().matches("(?s)(CREATE|DROP) INDEX .*")) {
                    indexUnlessHeld(connection, st, sql);
                } else if (sql.strip().startsWith("CREATE EXTENSION")) {
                    extension(st, sql);
                } else {
                    st.execute(sql);
                }
            }
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw heldTables(connection, e);
            }
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * An extension the tables need, created unless there; PostgreSQL's refusal (not installed, not
     * allowed, no privilege) as what the job needs and how to give it.
     */
    private static void extension(Statement st, String sql) throws SQLException {
        Matcher m = match(CREATE_EXTENSION, sql.strip());
        try {
            st.execute(sql);
        } catch (SQLException e) {
            throw new SQLException(
                    "the tables need PostgreSQL's extension "
                            + m.group(1)
                            + ", which this database has not, and creating it failed: "
                            + e.getMessage()
                            + ". Install it on the server ("
                            + (m.group(1).equals("vector")
                                    ? "pgvector; bin/ragstream setup does for the local services"
                                    : "it is part of PostgreSQL's own packages, contrib")
                            + "), allow it where a managed service lists allowed extensions,"
                            + " and create it once as a role that may (CREATE EXTENSION "
                            + m.group(1)
                            + " in this database), or run sql/schema.sql as that role",
                    e.getSQLState(),
                    e);
        }
    }

    /**
     * A column that could not be added because another transaction held the table: which, and what
     * to do, where PostgreSQL says only that the lock timed out.
     */
    private SQLException heldTables(Connection connection, SQLException timeout)
            throws SQLException {
        List<String> prepared = new ArrayList<>();
        try (Statement st = connection.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT gid || ' (prepared ' || prepared || ')' FROM pg_prepared_xacts"
                                        + " WHERE database = current_database() ORDER BY prepared")) {
            while (rs.next()) {
                prepared.add(rs.getString(1));
            }
        }
        return new SQLException(
                "tables "
                        + documentsTable
                        + " and "
                        + chunksTable
                        + " need a change of schema, and another transaction held one for over "
                        + LOCK_TIMEOUT_SECONDS
                        + " s ("
                        + timeout.getMessage()
                        + "). "
                        + (prepared.isEmpty()
                                ? "No transaction is left prepared: end the session that holds it"
                                        + " (pg_locks, pg_stat_activity)"
                                : "Transactions left prepared in this database (another sink's, or"
                                        + " this one's under another sink.transaction-prefix): "
                                        + String.join(", ", prepared)
                                        + "; the job they belong to commits them when it starts,"
                                        + " or end them with COMMIT PREPARED or ROLLBACK PREPARED"),
                LOCK_NOT_AVAILABLE,
                timeout);
    }

    /**
     * Whether {@link #create} would add a column, or build or drop an index, and so lock a table.
     */
    public boolean changesTables(
            Connection connection, int hnswM, int hnswEfConstruction, boolean withIndex)
            throws SQLException {
        Map<String, String> variables = variables(hnswM, hnswEfConstruction);
        try (Statement st = connection.createStatement()) {
            for (DdlStatement ddl : ddlStatements()) {
                String sql = ddl.sql(variables).strip();
                if (ddl.gset()) { // a query: what the later statements are made of
                    gset(st, sql, variables);
                } else if (sql.matches("(?s)(CREATE INDEX|DROP INDEX|ALTER TABLE) .*")
                        && needed(connection, sql, withIndex)) {
                    return true;
                }
            }
        }
        return false;
    }

    private Map<String, String> variables(int hnswM, int hnswEfConstruction) {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("documents_table", documentsTable);
        variables.put("chunks_table", chunksTable);
        variables.put("chunks_index", chunksIndex());
        variables.put("chunks_text_index", chunksTextIndex());
        variables.put("chunks_old_text_index", chunksTable + "_content_gin");
        variables.put("chunks_terms_index", chunksTermsIndex());
        variables.put("quantization", quantization.configName());
        variables.put("dims", Integer.toString(dimension));
        variables.put("hnsw_m", Integer.toString(hnswM));
        variables.put("hnsw_ef_construction", Integer.toString(hnswEfConstruction));
        return variables;
    }

    /**
     * An index built or dropped, unless another transaction holds the table past the lock timeout:
     * then the start goes on without it (searches use the indexes there are, and the next start
     * builds it), where waiting on a transaction the job itself must commit would stall it for
     * ever.
     */
    private void indexUnlessHeld(Connection connection, Statement st, String sql)
            throws SQLException {
        Savepoint before = connection.setSavepoint();
        try {
            st.execute(sql);
            connection.releaseSavepoint(before);
        } catch (SQLException e) {
            if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(before);
            LOG.warn(
                    "Left for the next start, table {} being held by another transaction for over"
                            + " {} s (an exactly-once sink's prepared one is committed once the job"
                            + " runs; see pg_prepared_xacts): {}",
                    chunksTable,
                    LOCK_TIMEOUT_SECONDS,
                    sql.strip().lines().findFirst().orElse(sql));
        }
    }

    /**
     * Whether a statement of schema.sql has something to do: an index or a column that is missing,
     * an index replaced since that is still there.
     */
    private static boolean needed(Connection connection, String sql, boolean withIndex)
            throws SQLException {
        String statement = sql.strip();
        if (statement.startsWith("CREATE INDEX")) {
            return withIndex && !exists(connection, match(CREATE_INDEX, statement).group(1));
        }
        if (statement.startsWith("ALTER TABLE")) {
            Matcher m = match(ADD_COLUMN, statement);
            return !hasColumn(connection, m.group(1), m.group(2));
        }
        if (statement.startsWith("DROP INDEX")) {
            return withIndex && exists(connection, match(DROP_INDEX, statement).group(1));
        }
        return true;
    }

    private static Matcher match(Pattern pattern, String statement) {
        Matcher m = pattern.matcher(statement);
        if (!m.lookingAt()) {
            throw new IllegalStateException(
                    DDL_RESOURCE
                            + ": the job runs an index or a column only in the form "
                            + pattern.pattern()
                            + ", not: "
                            + statement);
        }
        return m;
    }

    /** Whether the chunks table is yet to be created. */
    public boolean chunksTableMissing(Connection connection) throws SQLException {
        return !exists(connection, chunksTable);
    }

    private static boolean hasColumn(Connection connection, String table, String column)
            throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement(
                        "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ? AND NOT attisdropped")) {
            st.setString(1, '"' + table + '"');
            st.setString(2, column);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    static boolean exists(Connection connection, String relation) throws SQLException {
        try (PreparedStatement st =
                connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, '"' + relation + '"');
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Fails with a {@code quantization} error when the chunks table exists but was created for
     * another mode: its vectors would not bind, or a search would read them wrongly.
     */
    public void checkQuantization(Connection connection) throws SQLException {
        String sql =
                "SELECT t.typname, format_type(a.atttypid, a.atttypmod),"
                        + " ARRAY(SELECT o.opcname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                        + "       JOIN pg_am am ON am.oid = ic.relam JOIN pg_opclass o ON o.oid = ANY (i.indclass::oid[])"
                        + "       WHERE i.indrelid = a.attrelid AND am.amname = 'hnsw')"
                        + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                        + " WHERE a.attrelid = to_regclass(?) AND a.attname = 'embedding' AND NOT a.attisdropped";
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setString(1, '"' + chunksTable + '"');
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return; // no table yet (or no embedding column): nothing stored to disagree
                    // with
                }
                String type = rs.getString(1);
                List<String> opclasses = List.of((String[]) rs.getArray(3).getArray());
                List<Quantization> stored = Quantization.ofTable(type, opclasses);
                if (!stored.contains(quantization)) {
                    String modes =
                            stored.isEmpty()
                                    ? "none of " + Quantization.names()
                                    : stored.stream()
                                            .map(Quantization::configName)
                                            .collect(Collectors.joining(" or "));
                    throw new ConfigException(
                            RagstreamOptions.QUANTIZATION.key(),
                            "is "
                                    + quantization
                                    + ", but table "
                                    + chunksTable
                                    + " was created with quantization "
                                    + modes
                                    + " (embedding "
                                    + rs.getString(2)
                                    + ", "
                                    + (opclasses.isEmpty()
                                            ? "no HNSW index"
                                            : "HNSW index " + String.join(", ", opclasses))
                                    + "); set quantization to match,"
                                    + " or use a new postgres.chunks-table");
                }
            }
        }
    }

    /**
     * psql's {@code \gset}: the query's one row becomes variables named by its columns (NULL
     * unsets).
     */
    private static void gset(Statement st, String query, Map<String, String> variables)
            throws SQLException {
        try (ResultSet rs = st.executeQuery(query)) {
            if (!rs.next()) {
                throw new IllegalStateException(
                        DDL_RESOURCE + ": a \\gset query returned no row: " + query);
            }
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                String value = rs.getString(i);
                if (value == null) {
                    variables.remove(rs.getMetaData().getColumnLabel(i));
                } else {
                    variables.put(rs.getMetaData().getColumnLabel(i), value);
                }
            }
        }
    }

    /**
     * One statement of sql/schema.sql; filled in when it runs, since a {@code \gset} may set its
     * variables.
     */
    record DdlStatement(String template, boolean gset) {
        /**
         * Fills in variables as psql does: not inside string literals, and {@code ::} is a cast.
         */
        String sql(Map<String, String> variables) {
            StringBuilder out = new StringBuilder();
            Matcher m = PSQL_VARIABLE.matcher(template);
            boolean inLiteral = false;
            for (int i = 0; i < template.length(); i++) {
                char c = template.charAt(i);
                if (!inLiteral && c == ':' && template.startsWith("::", i)) {
                    out.append("::");
                    i++;
                } else if (!inLiteral && c == ':' && m.region(i, template.length()).lookingAt()) {
                    out.append(value(m.group(1), m.group(2), variables));
                    i = m.end() - 1;
                } else {
                    inLiteral ^= c == '\'';
                    out.append(c);
                }
            }
            return out.toString();
        }

        private static String value(String quote, String name, Map<String, String> variables) {
            String value = variables.get(name);
            if (value == null) {
                throw new IllegalStateException(
                        DDL_RESOURCE + " uses :" + name + ", which has no value");
            }
            return switch (quote) {
                case "\"" -> '"' + value + '"'; // :"name", an identifier (checked)
                case "'" -> "'" + value.replace("'", "''") + "'"; // :'name', a literal
                default -> value; // :name, as is
            };
        }
    }

    /**
     * sql/schema.sql as statements, without comments and psql's meta-commands (they only set
     * defaults, which the job always gives); a statement ends at {@code ;} or at {@code \gset}.
     */
    static List<DdlStatement> ddlStatements() {
        List<DdlStatement> statements = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        for (String line : readDdl().split("\n")) {
            String trimmed = line.strip();
            if (trimmed.equals("\\gset")) {
                statements.add(new DdlStatement(sql.toString(), true));
                sql.setLength(0);
            } else if (!trimmed.startsWith("\\")
                    && !trimmed.startsWith("--")
                    && !trimmed.isEmpty()) {
                sql.append(line).append('\n');
                if (trimmed.endsWith(";")) {
                    statements.add(new DdlStatement(sql.substring(0, sql.lastIndexOf(";")), false));
                    sql.setLength(0);
                }
            }
        }
        if (!sql.toString().isBlank()) {
            throw new IllegalStateException(DDL_RESOURCE + " ends inside a statement: " + sql);
        }
        return statements;
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
            throw new ConfigException(
                    key,
                    "'" + name + "' is not a plain lower-case SQL identifier ([a-z_][a-z0-9_]*)");
        }
        return name;
    }

    // ---- the sink's statements: every value is a parameter ----
    // updated_at is clock_timestamp(): an exactly-once transaction spans a checkpoint interval,
    // and now() would stamp all of its rows with the moment it began

    String upsertDocument() {
        return "INSERT INTO \""
                + documentsTable
                + "\" AS d (tenant, doc_id, version, chunk_count, deleted, source_topic, updated_at)"
                + " SELECT v.*, clock_timestamp() FROM (VALUES (?::text, ?::text, ?::bigint, ?::integer, ?::boolean, ?::text))"
                + " AS v (tenant, doc_id, version, chunk_count, deleted, source_topic)"
                // a version older than a truncate of its topic's table is gone, whichever came
                // first
                + " WHERE NOT EXISTS (SELECT 1 FROM \""
                + documentsTable
                + "\" t WHERE t.tenant = '' AND t.doc_id = v.source_topic"
                + " AND t.version > v.version)"
                + " ON CONFLICT (tenant, doc_id) DO UPDATE SET version = EXCLUDED.version, chunk_count = EXCLUDED.chunk_count,"
                + " deleted = EXCLUDED.deleted, source_topic = EXCLUDED.source_topic, updated_at = clock_timestamp()"
                + " WHERE EXCLUDED.version > d.version"
                // at equal versions a delete wins, whichever arrives first; a repeat changes
                // nothing
                + " OR (EXCLUDED.version = d.version AND (EXCLUDED.deleted OR NOT d.deleted))";
    }

    /**
     * A truncate's mark: a row of tenant '' (no event has that tenant) named by the topic, holding
     * the truncate's version, so that a write older than it, arriving later, is turned away.
     * Parameters topic, version, topic.
     */
    String markTruncate() {
        return "INSERT INTO \""
                + documentsTable
                + "\" AS d (tenant, doc_id, version, chunk_count, deleted, source_topic, updated_at)"
                + " VALUES ('', ?, ?, 0, true, ?, clock_timestamp())"
                + " ON CONFLICT (tenant, doc_id) DO UPDATE SET version = EXCLUDED.version, updated_at = clock_timestamp()"
                + " WHERE EXCLUDED.version > d.version";
    }

    /** The version and deletion the table holds for a document; parameters tenant, doc_id. */
    String documentVersion() {
        return "SELECT version, deleted FROM \""
                + documentsTable
                + "\" WHERE tenant = ? AND doc_id = ?";
    }

    /** A delete without a version: the version the table holds is deleted, and none is invented. */
    String deleteHeldVersion() {
        return "UPDATE \""
                + documentsTable
                + "\" SET deleted = true, chunk_count = 0, updated_at = clock_timestamp()"
                + " WHERE tenant = ? AND doc_id = ? AND NOT deleted RETURNING version";
    }

    /**
     * A truncate: every live document the topic wrote before the version; parameters version,
     * topic, version.
     */
    String truncateDocuments() {
        return "UPDATE \""
                + documentsTable
                + "\" SET deleted = true, chunk_count = 0, version = ?, updated_at = clock_timestamp()"
                + " WHERE source_topic = ? AND version < ? AND NOT deleted";
    }

    /** The chunks of the deleted documents a topic wrote (a truncate's). */
    String deleteChunksOfDeletedDocuments() {
        return "DELETE FROM \""
                + chunksTable
                + "\" c USING \""
                + documentsTable
                + "\" d"
                + " WHERE d.tenant = c.tenant AND d.doc_id = c.doc_id AND d.source_topic = ? AND d.deleted";
    }

    /**
     * A new version whose text did not change, for a live document: parameters version, tenant,
     * doc_id, version.
     */
    String restampDocument() {
        return "UPDATE \""
                + documentsTable
                + "\" SET version = ?, updated_at = clock_timestamp()"
                + " WHERE tenant = ? AND doc_id = ? AND NOT deleted AND version <= ?";
    }

    /** Every stored chunk of a document takes the new version and metadata. */
    String restampAllChunks() {
        return "UPDATE \""
                + chunksTable
                + "\" SET version = ?, metadata = ?::jsonb, updated_at = clock_timestamp()"
                + " WHERE tenant = ? AND doc_id = ? AND version <= ?";
    }

    String deleteChunksFrom() {
        return "DELETE FROM \""
                + chunksTable
                + "\" WHERE tenant = ? AND doc_id = ? AND chunk_no >= ?";
    }

    String deleteChunk() {
        return "DELETE FROM \""
                + chunksTable
                + "\" WHERE tenant = ? AND doc_id = ? AND chunk_no = ?";
    }

    /**
     * Parameters: tenant, doc_id, chunk_no, version, content, sha256, metadata, model, then the
     * vector's.
     */
    String upsertChunk() {
        List<String> columns = quantization.vectorColumns();
        return "INSERT INTO \""
                + chunksTable
                + "\" AS c (tenant, doc_id, chunk_no, version, content,"
                + " content_sha256, metadata, model, "
                + String.join(", ", columns)
                + ", updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, "
                + quantization.placeholders()
                + ", clock_timestamp())"
                + " ON CONFLICT (tenant, doc_id, chunk_no) DO UPDATE SET version = EXCLUDED.version,"
                + " content = EXCLUDED.content, content_sha256 = EXCLUDED.content_sha256,"
                + " metadata = EXCLUDED.metadata, model = EXCLUDED.model, "
                + columns.stream()
                        .map(c -> c + " = EXCLUDED." + c)
                        .collect(Collectors.joining(", "))
                + ", updated_at = clock_timestamp()"
                + " WHERE EXCLUDED.version >= c.version";
    }

    /** An unchanged chunk takes the new version; it matches only if the stored text is the same. */
    String restampChunk() {
        return "UPDATE \""
                + chunksTable
                + "\" SET version = ?, metadata = ?::jsonb, updated_at = clock_timestamp()"
                + " WHERE tenant = ? AND doc_id = ? AND chunk_no = ? AND content_sha256 = ? AND version <= ?";
    }
}
