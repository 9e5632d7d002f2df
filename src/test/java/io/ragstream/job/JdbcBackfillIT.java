package io.ragstream.job;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static io.ragstream.testing.TestServices.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A backfill from a database table (flink-connector-jdbc's JdbcSource, in parallel key ranges) on
 * the real database: a table of a few thousand rows over a sparse key range with gaps and negative
 * keys, several tenants, stale duplicates and rows that must be dead-lettered (no text, no id, a
 * wrong metadata type, a version out of range), read at parallelism 2 in several ranges. Afterwards
 * the tables equal a model of the rows, each bad row is one dead letter with its reason, nothing is
 * doubled, and the HNSW index exists. Wrong settings fail before anything is created, naming the
 * key.
 */
class JdbcBackfillIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(2).withMetrics();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 2500;
    private static final List<String> TENANTS = List.of("acme", "globex", "initech");

    /** One row of the source table; {@code n} is also in its metadata, to find it again. */
    record Row(
            int n, Long id, String tenant, String title, String body, String metadata, Long rev) {}

    /** What one document ends up as. */
    record Doc(String content, long version, int n) {}

    @Test
    void backfillsATableInParallelRangesToTheModelOfItsRows() throws Exception {
        TestServices services = IT.services("jdbcbackfill");
        String table = services.name + "_articles";
        IT.onCleanup(() -> drop(table));

        List<Row> rows = rows();
        load(table, rows);
        Map<String, Doc> expected = new TreeMap<>();
        Map<Integer, String> expectedLetters = new TreeMap<>(); // row n -> reason
        model(rows, expected, expectedLetters);
        assertThat(expected).hasSizeGreaterThan(2000);
        assertThat(expectedLetters.values())
                .contains("EMPTY_TEXT", "MISSING_ID", "WRONG_TYPE", "VERSION_OUT_OF_RANGE");

        RagstreamConfig config =
                services.config(
                        "job.parallelism=2",
                        "backfill.splits=7",
                        "backfill.fetch-size=100",
                        "backfill.version-column=rev",
                        "cdc.text-columns=title;body");
        IT.backfillTable(config, table); // bounded: returns when done
        RagstreamJob.finishBackfill(config);

        Map<String, Long> readBySubtask = documentsInBySubtask();
        assertThat(readBySubtask)
                .as("rows parsed into documents by each source subtask")
                .hasSize(2)
                .allSatisfy((subtask, documents) -> assertThat(documents).isPositive());
        assertThat(readBySubtask.values().stream().mapToLong(Long::longValue).sum())
                .as("every row read once")
                .isEqualTo(rows.size() - expectedLetters.size());
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_indexes WHERE tablename = '"
                                        + services.chunksTable
                                        + "' AND indexdef LIKE '%hnsw%'"))
                .as("the vectors' and the words' HNSW indexes, built after the load")
                .isEqualTo(2);

        Map<String, Doc> stored = new TreeMap<>();
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT d.tenant, d.doc_id, d.version, d.chunk_count, d.deleted,"
                                        + " count(c.chunk_no), min(c.content), min(c.metadata::text),"
                                        + " bool_and(c.embedding IS NOT NULL), min(c.version)"
                                        + " FROM \""
                                        + services.documentsTable
                                        + "\" d LEFT JOIN \""
                                        + services.chunksTable
                                        + "\" c USING (tenant, doc_id)"
                                        + " GROUP BY d.tenant, d.doc_id, d.version, d.chunk_count, d.deleted")) {
            while (rs.next()) {
                String key = rs.getString(1) + "/" + rs.getString(2);
                assertThat(rs.getBoolean(5)).as(key + " deleted").isFalse();
                assertThat(rs.getInt(4)).as(key + " chunk_count").isEqualTo(1);
                assertThat(rs.getInt(6)).as(key + " chunk rows").isEqualTo(1);
                assertThat(rs.getBoolean(9)).as(key + " embedded").isTrue();
                assertThat(rs.getLong(10)).as(key + " chunk version").isEqualTo(rs.getLong(3));
                int n = JSON.readTree(rs.getString(8)).path("n").asInt(-1);
                stored.put(key, new Doc(rs.getString(7), rs.getLong(3), n));
            }
        }
        assertThat(stored).as("the documents and their chunks").isEqualTo(expected);
        assertThat(count("SELECT count(*) FROM \"" + services.chunksTable + "\""))
                .as("chunk rows, nothing doubled")
                .isEqualTo(expected.size());

        // every letter is in the topic once the bounded job is done; ask for one more than
        // expected to see that no other follows
        List<ConsumerRecord<byte[], byte[]>> dead =
                TestServices.readTopic(
                        services.dlqTopic, expectedLetters.size() + 1, Duration.ofSeconds(10));
        Map<Integer, String> letters = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            JsonNode letter = JSON.readTree(new String(record.value(), StandardCharsets.UTF_8));
            JsonNode row = JSON.readTree(Base64.getDecoder().decode(letter.get("value").asText()));
            JsonNode metadata =
                    row.get("metadata").isTextual()
                            ? JSON.readTree(row.get("metadata").asText())
                            : row.get("metadata");
            int n = metadata.isArray() ? metadata.get(0).asInt() : metadata.path("n").asInt();
            assertThat(letter.get("topic").asText()).isEqualTo("table:" + table);
            assertThat(letter.get("offset").asLong())
                    .as("a letter's offset is its row's key")
                    .isEqualTo(row.get("id").isNull() ? -1 : row.get("id").asLong());
            assertThat(letters.put(n, letter.get("reason").asText()))
                    .as("row " + n + " dead-lettered twice")
                    .isNull();
        }
        assertThat(letters).isEqualTo(expectedLetters);
    }

    @Test
    void wrongSettingsFailBeforeAnythingIsCreatedNamingTheKey() throws Exception {
        TestServices services = IT.services("jdbcbackfillconf");
        String table = services.name + "_articles";
        IT.onCleanup(() -> drop(table));
        load(table, List.of(new Row(0, 1L, "acme", "A title", "A body", "{\"n\": 0}", 1L)));

        assertThatThrownBy(() -> IT.backfillTable(services.config(), table + "_missing"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'--backfill-table'")
                .hasMessageContaining("no table or view '" + table + "_missing'");
        assertThatThrownBy(
                        () ->
                                IT.backfillTable(
                                        services.config("backfill.split-column=title"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'backfill.split-column'")
                .hasMessageContaining("is text, not an integer");
        assertThatThrownBy(
                        () ->
                                IT.backfillTable(
                                        services.config("backfill.split-column=row_no"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'backfill.split-column'")
                .hasMessageContaining("no column 'row_no'");
        assertThatThrownBy(() -> IT.backfillTable(services.config("cdc.id-column=doc"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cdc.id-column'")
                .hasMessageContaining("no column 'doc'");
        assertThatThrownBy(
                        () ->
                                IT.backfillTable(
                                        services.config("cdc.text-columns=content;summary"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cdc.text-columns'");
        assertThatThrownBy(
                        () ->
                                IT.backfillTable(
                                        services.config("backfill.version-column=body"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'backfill.version-column'");
        assertThatThrownBy(() -> IT.backfillTable(services.config("backfill.splits=0"), table))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'backfill.splits'");
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_tables WHERE tablename IN ('"
                                        + services.documentsTable
                                        + "', '"
                                        + services.chunksTable
                                        + "')"))
                .as("tables created by a backfill that never started")
                .isZero();
    }

    /**
     * {@value #ROWS} rows: unique ids spread over -20000..200000, tenants in turn (every fourth
     * none: the default tenant), one text column or both; plus rows that must be dead-lettered and
     * stale copies of good rows (a lower rev, other text).
     */
    private static List<Row> rows() {
        Random random = new Random(17);
        Set<Long> ids = new LinkedHashSet<>();
        while (ids.size() < ROWS) {
            ids.add(-20_000L + random.nextInt(220_000));
        }
        List<Row> rows = new ArrayList<>();
        int n = 0;
        for (long id : ids) {
            String tenant = n % 4 == 3 ? null : TENANTS.get(n % 4);
            String title = n % 5 == 0 ? null : "Row " + id;
            String body = "Body of row " + id + " for " + tenant + ", number " + n + ".";
            String metadata = "{\"n\": " + n + "}";
            Long rev = n % 50 == 7 ? null : (long) (1000 + n);
            if (n % 97 == 1) { // no text at all
                title = null;
                body = null;
            } else if (n % 97 == 2) { // blank text
                title = "  ";
                body = "\t";
            } else if (n % 211 == 3) { // metadata that is not an object
                metadata = "[" + n + "]";
            } else if (n % 307 == 4) { // a version the database cannot order after
                rev = -5L;
            }
            rows.add(new Row(n++, id, tenant, title, body, metadata, rev));
        }
        for (int i = 0; i < 6; i++) { // no id: read through the range of NULL keys
            rows.add(
                    new Row(
                            n,
                            null,
                            "acme",
                            "Lost " + i,
                            "A row without an id.",
                            "{\"n\": " + n++ + "}",
                            1L));
        }
        for (int i = 0; i < 12; i++) { // stale copies: an older rev of a good row, other text
            Row original = rows.get(100 + 37 * i);
            if (original.rev() == null
                    || original.rev() < 0
                    || original.body() == null
                    || original.body().isBlank()
                    || original.metadata().startsWith("[")) {
                continue; // a copy of a good row only
            }
            rows.add(
                    new Row(
                            n,
                            original.id(),
                            original.tenant(),
                            "Stale",
                            "An older copy.",
                            "{\"n\": " + n++ + "}",
                            original.rev() - 500));
        }
        return rows;
    }

    /** What the rows should leave: each document's newest version, each bad row's reason. */
    private static void model(List<Row> rows, Map<String, Doc> docs, Map<Integer, String> bad) {
        Map<String, Row> newest = new HashMap<>();
        for (Row row : rows) {
            String title = blankToNull(row.title());
            String body = blankToNull(row.body());
            if (row.id() == null) {
                bad.put(row.n(), "MISSING_ID");
            } else if (title == null && body == null) {
                bad.put(row.n(), "EMPTY_TEXT");
            } else if (row.metadata().startsWith("[")) {
                bad.put(row.n(), "WRONG_TYPE");
            } else if (row.rev() != null && row.rev() < 0) {
                bad.put(row.n(), "VERSION_OUT_OF_RANGE");
            } else {
                String key = (row.tenant() == null ? "default" : row.tenant()) + "/" + row.id();
                Row held = newest.get(key);
                if (held == null || version(row) > version(held)) {
                    newest.put(key, row);
                }
            }
        }
        newest.forEach(
                (key, row) -> {
                    String title = blankToNull(row.title());
                    String body = blankToNull(row.body());
                    String content =
                            title == null
                                    ? body.strip()
                                    : body == null
                                            ? title.strip()
                                            : title.strip() + "\n\n" + body.strip();
                    docs.put(key, new Doc(content, version(row), row.n()));
                });
    }

    /**
     * The parser's documentsIn of each subtask; it is chained to the source, so it counts what that
     * subtask's split readers read (less the dead letters).
     */
    private static Map<String, Long> documentsInBySubtask() {
        Map<String, Long> counts = new TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> group :
                IT.metrics().getMetricsByGroup().entrySet()) {
            String id = group.getKey().getMetricIdentifier("documentsIn");
            if (group.getValue().get("documentsIn") instanceof Counter counter
                    && id.contains("Parse document events")) {
                counts.merge(id, counter.getCount(), Long::sum);
            }
        }
        return counts;
    }

    /** A row without a version backfills as version 0, like a JSONL line without one. */
    private static long version(Row row) {
        return row.rev() == null ? 0 : row.rev();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void load(String table, List<Row> rows) throws Exception {
        try (Connection c = TestServices.connect()) {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE \""
                                + table
                                + "\" (id bigint, tenant text, title text, body text,"
                                + " metadata jsonb, rev bigint)");
            }
            try (PreparedStatement insert =
                    c.prepareStatement(
                            "INSERT INTO \"" + table + "\" VALUES (?, ?, ?, ?, ?::jsonb, ?)")) {
                for (Row row : rows) {
                    insert.setObject(1, row.id(), Types.BIGINT);
                    insert.setString(2, row.tenant());
                    insert.setString(3, row.title());
                    insert.setString(4, row.body());
                    insert.setString(5, row.metadata());
                    insert.setObject(6, row.rev(), Types.BIGINT);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    private static void drop(String table) throws Exception {
        try (Connection c = TestServices.connect();
                Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS \"" + table + "\"");
        }
    }
}
