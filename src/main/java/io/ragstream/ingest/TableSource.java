package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSource;
import org.apache.flink.connector.jdbc.core.datastream.source.JdbcSourceBuilder;
import org.apache.flink.connector.jdbc.split.JdbcGenericParameterValuesProvider;
import org.apache.flink.connector.jdbc.split.JdbcNumericBetweenParametersProvider;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A PostgreSQL table read as the input of a backfill, through flink-connector-jdbc's {@link
 * JdbcSource}: its rows mapped into documents by the {@code cdc.*} columns ({@link
 * TableRowParser}), read in parallel over {@code backfill.splits} ranges of an integer split column
 * between its min and max ({@link JdbcNumericBetweenParametersProvider}), plus one range for the
 * rows whose split column is NULL, so that no row is left out unread.
 *
 * <p>{@link #from} checks everything against the database before the job starts: the table, each
 * column named, the split column's type; a mistake fails there with the key that names it. The
 * ranges are fixed at that moment: rows inserted past the max later are not read (a backfill reads
 * what is there; the stream or CDC carries what comes after).
 */
public final class TableSource implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The option that names the table: {@code bin/ragstream run --backfill-table}. */
    public static final String TABLE_KEY = "--backfill-table";

    private static final String DRIVER = "org.postgresql.Driver";

    /** Its sessions' name in pg_stat_activity. */
    static final String APPLICATION_NAME = "ragstream-backfill";

    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint");

    private final String url;
    private final String user;
    private final String password;
    private final String table;
    private final CdcColumns columns;
    private final String splitColumn;
    private final String versionColumn;
    private final List<String> selected;
    private final Long min;
    private final Long max;
    private final int splits;
    private final int fetchSize;
    private final Duration connectTimeout;
    private final Duration socketTimeout;

    private TableSource(
            String url,
            String user,
            String password,
            String table,
            CdcColumns columns,
            String splitColumn,
            String versionColumn,
            Long min,
            Long max,
            int splits,
            int fetchSize,
            Duration connectTimeout,
            Duration socketTimeout) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.table = table;
        this.columns = columns;
        this.splitColumn = splitColumn;
        this.versionColumn = versionColumn;
        this.min = min;
        this.max = max;
        this.splits = splits;
        this.fetchSize = fetchSize;
        this.connectTimeout = connectTimeout;
        this.socketTimeout = socketTimeout;
        Set<String> read = new LinkedHashSet<>();
        read.add(splitColumn);
        read.add(columns.idColumn());
        read.addAll(columns.textColumns());
        if (columns.tenantColumn() != null) {
            read.add(columns.tenantColumn());
        }
        if (columns.metadataColumn() != null) {
            read.add(columns.metadataColumn());
        }
        if (versionColumn != null) {
            read.add(versionColumn);
        }
        this.selected = List.copyOf(read);
    }

    /**
     * The table {@code name} ({@code table} or {@code schema.table}, read as SQL reads a name:
     * lower-cased unless double-quoted) as the settings say to read it, checked against the
     * database.
     */
    public static TableSource from(RagstreamConfig config, String name) {
        int splits = config.positive(RagstreamOptions.BACKFILL_SPLITS);
        int fetchSize = config.positive(RagstreamOptions.BACKFILL_FETCH_SIZE);
        CdcColumns wanted = CdcColumns.from(config);
        IngestLimits limits = IngestLimits.from(config);
        if (name == null || name.isBlank()) {
            throw new ConfigException(TABLE_KEY, "names no table");
        }
        String url =
                orDefault(config, RagstreamOptions.BACKFILL_URL, RagstreamOptions.POSTGRES_URL);
        String user =
                orDefault(config, RagstreamOptions.BACKFILL_USER, RagstreamOptions.POSTGRES_USER);
        String password =
                orDefault(
                        config,
                        RagstreamOptions.BACKFILL_PASSWORD,
                        RagstreamOptions.POSTGRES_PASSWORD);
        String urlKey =
                config.get(RagstreamOptions.BACKFILL_URL) != null
                        ? RagstreamOptions.BACKFILL_URL.key()
                        : RagstreamOptions.POSTGRES_URL.key();
        Duration connectTimeout = config.get(RagstreamOptions.POSTGRES_CONNECT_TIMEOUT);
        Duration socketTimeout = config.get(RagstreamOptions.POSTGRES_SOCKET_TIMEOUT);

        try (Connection db = connect(url, user, password, connectTimeout, socketTimeout, urlKey)) {
            String table = resolve(db, name, url);
            Map<String, String> types = columnTypes(db, table);
            String described = "table " + table + " (its columns: " + types.keySet() + ")";

            if (!types.containsKey(wanted.idColumn())) {
                throw new ConfigException(
                        RagstreamOptions.CDC_ID_COLUMN.key(),
                        "no column '" + wanted.idColumn() + "' in " + described);
            }
            List<String> texts = wanted.textColumns().stream().filter(types::containsKey).toList();
            if (texts.isEmpty()) {
                throw new ConfigException(
                        RagstreamOptions.CDC_TEXT_COLUMNS.key(),
                        "none of " + wanted.textColumns() + " is a column of " + described);
            }
            // like a change event without them: no tenant column files every row under the
            // default tenant, no metadata column gives every document "{}"
            String tenant = types.containsKey(wanted.tenantColumn()) ? wanted.tenantColumn() : null;
            String metadata =
                    types.containsKey(wanted.metadataColumn()) ? wanted.metadataColumn() : null;
            limits.requireTenantColumn(tenant, described);
            CdcColumns columns = new CdcColumns(wanted.idColumn(), texts, tenant, metadata);

            String configuredSplit = config.get(RagstreamOptions.BACKFILL_SPLIT_COLUMN);
            String split = configuredSplit != null ? configuredSplit : wanted.idColumn();
            requireInteger(
                    RagstreamOptions.BACKFILL_SPLIT_COLUMN.key(),
                    split,
                    types,
                    described,
                    configuredSplit == null
                            ? " (it defaults to "
                                    + RagstreamOptions.CDC_ID_COLUMN.key()
                                    + "); name an integer column to split the table by"
                            : "");
            String version = config.get(RagstreamOptions.BACKFILL_VERSION_COLUMN);
            if (version != null && version.isBlank()) {
                version = null;
            }
            if (version != null) {
                requireInteger(
                        RagstreamOptions.BACKFILL_VERSION_COLUMN.key(),
                        version,
                        types,
                        described,
                        "");
            }

            Long min = null;
            Long max = null;
            try (PreparedStatement range =
                            db.prepareStatement(
                                    "SELECT min("
                                            + quote(split)
                                            + ")::bigint, max("
                                            + quote(split)
                                            + ")::bigint FROM "
                                            + table);
                    ResultSet rs = range.executeQuery()) {
                rs.next();
                long lo = rs.getLong(1);
                if (!rs.wasNull()) {
                    min = lo;
                    max = rs.getLong(2);
                }
            }
            if (min != null && (max - min < 0 || max - min == Long.MAX_VALUE)) {
                throw new ConfigException(
                        RagstreamOptions.BACKFILL_SPLIT_COLUMN.key(),
                        "'"
                                + split
                                + "' spans "
                                + min
                                + ".."
                                + max
                                + ", more values than a long counts; name a column of a narrower range");
            }
            return new TableSource(
                    url,
                    user,
                    password,
                    table,
                    columns,
                    split,
                    version,
                    min,
                    max,
                    splits,
                    fetchSize,
                    connectTimeout,
                    socketTimeout);
        } catch (SQLException e) {
            throw new ConfigException(
                    TABLE_KEY,
                    "cannot read '"
                            + name
                            + "' in "
                            + Secrets.withoutParameters(url)
                            + ": "
                            + e.getMessage());
        }
    }

    /**
     * The source: flink-connector-jdbc's, one split per key range, read by the job's parallel
     * subtasks in turn, each split reader on a connection of its own ({@link
     * OwnConnectionJdbcSource}).
     */
    public Source<KafkaRecord, ?, ?> source() {
        DeliveryGuarantee guarantee =
                // a split that failed half-read is read again: the sink's version guard makes the
                // repeat harmless
                DeliveryGuarantee.AT_LEAST_ONCE;
        JdbcSourceBuilder<KafkaRecord> builder =
                JdbcSource.<KafkaRecord>builder()
                        .setDBUrl(url)
                        .setDriverName(DRIVER)
                        .setUsername(user)
                        .setPassword(password)
                        .setSql(sql())
                        .setJdbcParameterValuesProvider(
                                new JdbcGenericParameterValuesProvider(splitParameters()))
                        .setResultExtractor(new TableRowExtractor(topic(), splitColumn))
                        .setTypeInformation(TypeInformation.of(KafkaRecord.class))
                        .setDeliveryGuarantee(guarantee)
                        // PostgreSQL streams a result through a cursor only outside auto-commit
                        .setAutoCommit(false)
                        .setResultSetFetchSize(fetchSize)
                        .setSplitReaderFetchBatchSize(fetchSize);
        JdbcConnectionOptions.JdbcConnectionOptionsBuilder connection =
                new JdbcConnectionOptions.JdbcConnectionOptionsBuilder()
                        .withUrl(url)
                        .withDriverName(DRIVER)
                        .withUsername(user)
                        .withPassword(password);
        connectionProperties()
                .forEach(
                        (key, value) -> {
                            builder.setConnectionProperty(key, value);
                            connection.withProperty(key, value);
                        });
        return new OwnConnectionJdbcSource<>(builder.build(), connection.build(), guarantee);
    }

    /** What a reading connection is, besides its URL, user and password. */
    private Map<String, String> connectionProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("readOnly", "true");
        properties.put("ApplicationName", APPLICATION_NAME);
        properties.put("connectTimeout", seconds(connectTimeout));
        properties.put("loginTimeout", seconds(connectTimeout));
        properties.put("socketTimeout", seconds(socketTimeout));
        properties.put("tcpKeepAlive", "true");
        // planned for each range's values, not once generically: the split column's index, if
        // it has one, serves each range
        properties.put("prepareThreshold", "0");
        return properties;
    }

    /** The parser of this table's rows. */
    public ParseDocuments parser(IngestLimits limits) {
        return new ParseDocuments(
                new TableRowParser(columns, versionColumn, limits), Map.of(), limits);
    }

    /**
     * The query of one split: a range of the split column ({@code lo, hi, false}), or its NULLs
     * ({@code 1, 0, true}).
     */
    String sql() {
        String s = quote(splitColumn);
        return "SELECT "
                + String.join(", ", selected.stream().map(TableSource::quote).toList())
                + " FROM "
                + table
                + " WHERE ("
                + s
                + " BETWEEN ? AND ?) OR ("
                + s
                + " IS NULL AND ?)";
    }

    /** {@code backfill.splits} ranges from min to max, then the NULLs. */
    Serializable[][] splitParameters() {
        return splitParameters(min, max, splits);
    }

    /**
     * {@code splits} ranges from {@code min} to {@code max} (fewer when there are fewer keys; none
     * for an empty table, whose min is null), then the NULLs.
     */
    static Serializable[][] splitParameters(Long min, Long max, int splits) {
        List<Serializable[]> out = new ArrayList<>();
        if (min != null) {
            for (Serializable[] range :
                    new JdbcNumericBetweenParametersProvider(min, max)
                            .ofBatchNum(splits)
                            .getParameterValues()) {
                out.add(new Serializable[] {range[0], range[1], false});
            }
        }
        out.add(new Serializable[] {1L, 0L, true});
        return out.toArray(new Serializable[0][]);
    }

    /** Where its rows' dead letters say they came from. */
    public String topic() {
        return "table:" + table;
    }

    /** The table, as PostgreSQL names it (schema-qualified and quoted where needed). */
    public String table() {
        return table;
    }

    public CdcColumns columns() {
        return columns;
    }

    /** What is read, for the operator: no URL parameters, no user, no password. */
    public String description() {
        int ranges = splitParameters().length;
        return "table "
                + table
                + " in "
                + Secrets.withoutParameters(url)
                + ": columns "
                + selected
                + ", "
                + (min == null
                        ? "empty"
                        : (ranges - 1) + " ranges of " + splitColumn + " over " + min + ".." + max)
                + " and its NULLs";
    }

    @Override
    public String toString() {
        return description();
    }

    private static String orDefault(
            RagstreamConfig config, ConfigOption<String> option, ConfigOption<String> fallback) {
        String value = config.get(option);
        return value != null ? value : config.get(fallback);
    }

    private static Connection connect(
            String url,
            String user,
            String password,
            Duration connectTimeout,
            Duration socketTimeout,
            String urlKey) {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", APPLICATION_NAME);
        properties.setProperty("connectTimeout", seconds(connectTimeout));
        properties.setProperty("loginTimeout", seconds(connectTimeout));
        properties.setProperty("socketTimeout", seconds(socketTimeout));
        try {
            return DriverManager.getConnection(url, properties);
        } catch (SQLException e) {
            throw new ConfigException(
                    urlKey,
                    "cannot connect to "
                            + Secrets.withoutParameters(url)
                            + " as '"
                            + user
                            + "': "
                            + e.getMessage());
        }
    }

    /** The table's name as PostgreSQL writes it, or an error naming {@value #TABLE_KEY}. */
    private static String resolve(Connection db, String name, String url) throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement(
                        "SELECT c.oid::regclass::text FROM pg_class c "
                                + "WHERE c.oid = to_regclass(?) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')")) {
            st.setString(1, name.strip());
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
        } catch (SQLException e) {
            if ("42602".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) {
                // invalid name syntax, or a schema that does not exist
                throw new ConfigException(TABLE_KEY, "'" + name + "': " + e.getMessage());
            }
            throw e;
        }
        throw new ConfigException(
                TABLE_KEY,
                "no table or view '"
                        + name
                        + "' in "
                        + Secrets.withoutParameters(url)
                        + " (a name is lower-cased unless double-quoted, as in SQL; "
                        + "write schema.table for one outside the search_path)");
    }

    /** Each column's name and type ({@code format_type}, e.g. {@code bigint}, {@code text}). */
    private static Map<String, String> columnTypes(Connection db, String table)
            throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement st =
                db.prepareStatement(
                        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                                + "WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped "
                                + "ORDER BY attnum")) {
            st.setString(1, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return types;
    }

    private static void requireInteger(
            String key, String column, Map<String, String> types, String described, String hint) {
        String type = types.get(column);
        if (type == null) {
            throw new ConfigException(key, "no column '" + column + "' in " + described + hint);
        }
        if (!INTEGER_TYPES.contains(type)) {
            throw new ConfigException(
                    key,
                    "column '"
                            + column
                            + "' of "
                            + described
                            + " is "
                            + type
                            + ", not an integer (smallint, integer, bigint)"
                            + hint);
        }
    }

    /** A column name as an SQL identifier: double-quoted, so any name reads as it is spelled. */
    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String seconds(Duration d) {
        return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
    }
}
