package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;
import io.ragstream.ingest.DocumentEvent.Op;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Debezium change events (DESIGN.md "Inputs", CDC) from the PostgreSQL and MySQL connectors, each
 * read both as JsonConverter writes it with {@code schemas.enable=true} and without, and every way
 * such input can be bad.
 *
 * <p>Fixtures under {@code src/test/resources/debezium/} follow the shapes in Debezium's connector
 * documentation: {@code postgresql/} captures {@code public.documents(tenant, id, title, text,
 * metadata jsonb, PRIMARY KEY (tenant, id))} with the default REPLICA IDENTITY, plus {@code
 * support.tickets(doc_key PRIMARY KEY, org, subject, body, summary, attributes jsonb)} with REPLICA
 * IDENTITY FULL; {@code mysql/} captures {@code cms.articles(id PRIMARY KEY, title, text, metadata
 * JSON)}, a table without a tenant column. A fixture holds one wrapping; the other is derived here
 * exactly as the converter would write it (the payload alone, or the table's schema around it).
 */
class DebeziumEventParserTest {

    private static final int MAX_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CdcColumns TICKETS =
            new CdcColumns("doc_key", List.of("subject", "body", "summary"), "org", "attributes");

    /** The key schema of support.tickets, for the wrapped form of tickets-key.json. */
    private static final String TICKETS_KEY_SCHEMA =
            """
            {"type": "struct", "fields": [{"type": "string", "optional": false, "field": "doc_key"}],
             "optional": false, "name": "pg.support.tickets.Key"}""";

    private final DebeziumEventParser parser = new DebeziumEventParser(MAX_BYTES);
    private final DebeziumEventParser tickets = new DebeziumEventParser(TICKETS, MAX_BYTES);

    /** How JsonConverter wrote the record: {@code schemas.enable=true} or {@code false}. */
    enum Wrapping {
        WITH_SCHEMA,
        WITHOUT_SCHEMA
    }

    // ---------------------------------------------------------------- PostgreSQL

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void postgresCreateUpsertsTheAfterRow(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(
                        key("postgresql/key.json", wrapping),
                        value("postgresql/create.json", wrapping));

        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.tenant()).isEqualTo("acme");
        assertThat(event.id()).isEqualTo("42");
        assertThat(event.key()).isEqualTo("acme/42");
        assertThat(event.version()).isEqualTo(24023128L);
        assertThat(event.title()).isEqualTo("Refund policy");
        assertThat(event.text()).isEqualTo("Refunds are issued within 14 days of purchase.");
        assertThat(event.content())
                .isEqualTo("Refund policy\n\nRefunds are issued within 14 days of purchase.");
        assertThat(JSON.readTree(event.metadata()))
                .isEqualTo(
                        JSON.readTree("{\"lang\": \"en\", \"tags\": [\"billing\", \"policy\"]}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void postgresSnapshotReadUpsertsTheAfterRow(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(
                        key("postgresql/key.json", wrapping),
                        value("postgresql/read.json", wrapping));

        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.key()).isEqualTo("acme/42");
        assertThat(event.version()).isEqualTo(24023000L);
        assertThat(event.content())
                .isEqualTo("Refund policy\n\nRefunds are issued within 30 days of purchase.");
        assertThat(JSON.readTree(event.metadata())).isEqualTo(JSON.readTree("{\"lang\": \"en\"}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void postgresUpdateUpsertsTheAfterRowWhateverBeforeHolds(Wrapping wrapping) throws Exception {
        // REPLICA IDENTITY DEFAULT: 'before' has only the key columns; only 'after' matters
        DocumentEvent event =
                parser.parse(
                        key("postgresql/key.json", wrapping),
                        value("postgresql/update.json", wrapping));

        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.key()).isEqualTo("acme/42");
        assertThat(event.version()).isEqualTo(24025000L);
        assertThat(event.text())
                .isEqualTo(
                        "Refunds are issued within 14 days of purchase, to the original payment method.");
        assertThat(event.metadata()).as("a null jsonb column").isEqualTo("{}");
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void postgresDeleteNamesTheDocumentByBefore(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(
                        key("postgresql/key.json", wrapping),
                        value("postgresql/delete.json", wrapping));

        assertThat(event)
                .isEqualTo(new DocumentEvent("acme", "42", 24030000L, Op.DELETE, null, null, "{}"));
    }

    @ParameterizedTest
    @MethodSource("valueAndKeyWrappings")
    void postgresDeleteWithoutBeforeNamesTheDocumentByTheKey(
            Wrapping valueWrapping, Wrapping keyWrapping) throws Exception {
        DocumentEvent event =
                parser.parse(
                        key("postgresql/key.json", keyWrapping),
                        value("postgresql/delete-without-before.json", valueWrapping));

        assertThat(event)
                .isEqualTo(new DocumentEvent("acme", "42", 24031000L, Op.DELETE, null, null, "{}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void postgresTombstoneDeletesTheDocumentNamedByTheKey(Wrapping keyWrapping) throws Exception {
        DocumentEvent event = parser.parse(key("postgresql/key.json", keyWrapping), null);

        assertThat(event)
                .isEqualTo(new DocumentEvent("acme", "42", null, Op.DELETE, null, null, "{}"));
    }

    @Test
    void postgresEventsOfOneRowGetIncreasingVersions() throws Exception {
        byte[] key = key("postgresql/key.json", Wrapping.WITHOUT_SCHEMA);
        List<Long> versions = new ArrayList<>();
        for (String f : List.of("read", "create", "update", "delete", "delete-without-before")) {
            versions.add(
                    parser.parse(key, value("postgresql/" + f + ".json", Wrapping.WITHOUT_SCHEMA))
                            .version());
        }

        assertThat(versions).isSorted().doesNotHaveDuplicates();
    }

    // ---------------------------------------------------------------- MySQL

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void mysqlCreateUpsertsTheAfterRow(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(key("mysql/key.json", wrapping), value("mysql/create.json", wrapping));

        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.tenant())
                .as("the table has no tenant column")
                .isEqualTo(DocumentEvent.DEFAULT_TENANT);
        assertThat(event.id()).isEqualTo("1004");
        assertThat(event.version()).isEqualTo(1735725600000L);
        assertThat(event.title()).isEqualTo("Getting started");
        assertThat(event.text())
                .isEqualTo("Install the agent, then sign in with your work account.");
        assertThat(JSON.readTree(event.metadata()))
                .isEqualTo(JSON.readTree("{\"section\": \"onboarding\", \"draft\": false}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void mysqlSnapshotReadUpsertsTheAfterRow(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(key("mysql/key.json", wrapping), value("mysql/read.json", wrapping));

        assertThat(event)
                .isEqualTo(
                        new DocumentEvent(
                                "default",
                                "1004",
                                1735725000000L,
                                Op.UPSERT,
                                "Getting started",
                                "Install the agent.",
                                "{}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void mysqlUpdateUpsertsTheAfterRow(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(key("mysql/key.json", wrapping), value("mysql/update.json", wrapping));

        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.key()).isEqualTo("default/1004");
        assertThat(event.version()).isEqualTo(1735729200000L);
        assertThat(event.title()).isEqualTo("Getting started in five minutes");
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void mysqlDeleteNamesTheDocumentByBefore(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                parser.parse(key("mysql/key.json", wrapping), value("mysql/delete.json", wrapping));

        assertThat(event)
                .isEqualTo(
                        new DocumentEvent(
                                "default", "1004", 1735732800000L, Op.DELETE, null, null, "{}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void mysqlTombstoneDeletesTheDocumentNamedByTheKey(Wrapping keyWrapping) throws Exception {
        DocumentEvent event = parser.parse(key("mysql/key.json", keyWrapping), null);

        assertThat(event)
                .isEqualTo(new DocumentEvent("default", "1004", null, Op.DELETE, null, null, "{}"));
    }

    @Test
    void mysqlEventsOfOneRowGetIncreasingVersions() throws Exception {
        List<Long> versions = new ArrayList<>();
        for (String f : List.of("read", "create", "update", "delete")) {
            versions.add(
                    parser.parse(null, value("mysql/" + f + ".json", Wrapping.WITH_SCHEMA))
                            .version());
        }

        assertThat(versions).isSorted().doesNotHaveDuplicates();
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void aSchemaWrappedNullPayloadIsATombstone(Wrapping keyWrapping) throws Exception {
        byte[] value =
                bytes(
                        "{\"schema\": {\"type\": \"struct\", \"optional\": true}, \"payload\": null}");

        DocumentEvent event = parser.parse(key("mysql/key.json", keyWrapping), value);

        assertThat(event)
                .isEqualTo(new DocumentEvent("default", "1004", null, Op.DELETE, null, null, "{}"));
    }

    @Test
    void aKeyIsNotNeededWhenTheRowNamesTheDocument() throws Exception {
        // a table without a primary key but with REPLICA IDENTITY FULL has a null record key
        assertThat(parser.parse(null, value("mysql/update.json", Wrapping.WITHOUT_SCHEMA)).key())
                .isEqualTo("default/1004");
        assertThat(parser.parse(null, value("mysql/delete.json", Wrapping.WITHOUT_SCHEMA)).key())
                .isEqualTo("default/1004");
    }

    // ---------------------------------------------------------------- version

    @Test
    void postgresVersionIsTheLsnNotATimestamp() throws Exception {
        JsonNode source = payload("postgresql/create.json").get("source");

        long version =
                parser.parse(null, value("postgresql/create.json", Wrapping.WITH_SCHEMA)).version();

        assertThat(version)
                .isEqualTo(source.get("lsn").asLong())
                .isNotEqualTo(source.get("ts_ms").asLong());
    }

    @Test
    void mysqlVersionIsTheSourceTimestampNotTheConnectorsClock() throws Exception {
        JsonNode payload = payload("mysql/create.json");

        long version =
                parser.parse(null, value("mysql/create.json", Wrapping.WITH_SCHEMA)).version();

        assertThat(version)
                .isEqualTo(payload.get("source").get("ts_ms").asLong())
                .isNotEqualTo(payload.get("ts_ms").asLong());
    }

    @Test
    void anotherConnectorIsVersionedBySourceTimestamp() throws Exception {
        byte[] value =
                edited(
                        "postgresql/create.json",
                        p -> ((ObjectNode) p.get("source")).put("connector", "sqlserver"));

        assertThat(parser.parse(null, value).version()).isEqualTo(1735725600000L);
    }

    @Test
    void postgresWithoutAnLsnIsNotVersionedByItsTimestamp() {
        // an LSN and a millisecond timestamp are of different scales: a fallback would make every
        // later LSN-versioned change of the row look older
        byte[] value =
                edited(
                        "postgresql/create.json",
                        p -> ((ObjectNode) p.get("source")).putNull("lsn"));

        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> parser.parse(null, value));

        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_CDC_SHAPE);
        assertThat(e.getMessage()).contains("source.lsn");
    }

    @Test
    void aSchemaRegistryRecordIsDeadLetteredWithWhatToChange() {
        // what Confluent's AvroConverter writes: byte 0, schema id 42, then Avro's binary
        byte[] avro = {0, 0, 0, 0, 42, 2, 8, 'd', 'o', 'c', '1'};

        BadInputException value =
                catchThrowableOfType(BadInputException.class, () -> parser.parse(null, avro));
        BadInputException key =
                catchThrowableOfType(BadInputException.class, () -> parser.parse(avro, null));

        for (BadInputException e : List.of(value, key)) {
            assertThat(e.reason()).isEqualTo(Reason.MALFORMED_JSON);
            assertThat(e.getMessage()).contains("schema id 42", "Schema Registry", "JsonConverter");
        }
    }

    @Test
    void aRowFlattenedByExtractNewRecordStateIsDeadLetteredWithWhatToChange() {
        // transforms=unwrap, delete.handling.mode=rewrite: the row alone, a delete marked in it
        byte[] value =
                "{\"id\": 7, \"text\": \"x\", \"__deleted\": \"true\"}"
                        .getBytes(StandardCharsets.UTF_8);

        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> parser.parse(null, value));

        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_CDC_SHAPE);
        assertThat(e.getMessage())
                .contains("fields: id, text, __deleted")
                .contains("ExtractNewRecordState");
    }

    @Test
    void versionZeroAndTheLargestLongAreAccepted() throws Exception {
        assertThat(
                        parser.parse(
                                        null,
                                        edited(
                                                "mysql/create.json",
                                                p ->
                                                        ((ObjectNode) p.get("source"))
                                                                .put("ts_ms", 0)))
                                .version())
                .isZero();
        assertThat(
                        parser.parse(
                                        null,
                                        edited(
                                                "postgresql/create.json",
                                                p ->
                                                        ((ObjectNode) p.get("source"))
                                                                .put("lsn", Long.MAX_VALUE)))
                                .version())
                .isEqualTo(Long.MAX_VALUE);
    }

    // ---------------------------------------------------------------- configured columns

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void customColumnsNameTheIdTextTenantAndMetadata(Wrapping wrapping) throws Exception {
        DocumentEvent event =
                tickets.parse(
                        key("postgresql/tickets-key.json", wrapping),
                        value("postgresql/tickets-update.json", wrapping));

        String joined =
                "Printer on floor 3 jams\n\n"
                        + "The printer jams on every second page.\nReplacing the roller fixed it.";
        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.tenant()).isEqualTo("globex");
        assertThat(event.id()).isEqualTo("TCK-1001");
        assertThat(event.version()).isEqualTo(31000480L);
        assertThat(event.title()).isNull();
        assertThat(event.text()).as("subject and body; the null summary skipped").isEqualTo(joined);
        assertThat(event.content()).isEqualTo(joined);
        assertThat(JSON.readTree(event.metadata()))
                .isEqualTo(
                        JSON.readTree(
                                "{\"priority\": \"high\", \"assignee\": {\"team\": \"facilities\"}}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void customColumnsDeleteTakesTheTenantFromAFullBefore(Wrapping wrapping) throws Exception {
        // REPLICA IDENTITY FULL: 'before' holds the whole row, the tenant included
        DocumentEvent event =
                tickets.parse(
                        key("postgresql/tickets-key.json", wrapping),
                        value("postgresql/tickets-delete.json", wrapping));

        assertThat(event)
                .isEqualTo(
                        new DocumentEvent(
                                "globex", "TCK-1001", 31002200L, Op.DELETE, null, null, "{}"));
    }

    @ParameterizedTest
    @EnumSource(Wrapping.class)
    void aKeyWithoutTheTenantColumnDeletesInTheDefaultTenant(Wrapping keyWrapping)
            throws Exception {
        // The documented limit: support.tickets is keyed by doc_key alone, so its tombstones (and,
        // under REPLICA IDENTITY DEFAULT, its deletes) cannot name the tenant. Tables whose rows
        // belong to several tenants need the tenant in the primary key, as public.documents has.
        byte[] key = key("postgresql/tickets-key.json", keyWrapping);
        byte[] keyOnlyDelete =
                edited("postgresql/tickets-delete.json", p -> ((ObjectNode) p).putNull("before"));

        assertThat(tickets.parse(key, null).key()).isEqualTo("default/TCK-1001");
        assertThat(tickets.parse(key, keyOnlyDelete).key()).isEqualTo("default/TCK-1001");
    }

    @Test
    void aDeleteWhoseBeforeLacksTheTenantTakesItFromTheKey() throws Exception {
        // e.g. REPLICA IDENTITY DEFAULT, where the columns outside the key arrive as null
        byte[] key = bytes("{\"doc_key\": \"TCK-1001\", \"org\": \"initech\"}");
        byte[] value =
                edited(
                        "postgresql/tickets-delete.json",
                        p -> {
                            ObjectNode before = (ObjectNode) p.get("before");
                            before.putNull("org");
                            before.putNull("subject");
                            before.putNull("body");
                        });

        assertThat(tickets.parse(key, value).key()).isEqualTo("initech/TCK-1001");
        assertThat(tickets.parse(key, null).key()).isEqualTo("initech/TCK-1001");
    }

    @Test
    void theIdMayBeAStringOrAnyIntegerAndTheTenantAnInteger() throws Exception {
        DocumentEvent event =
                tickets.parse(
                        null,
                        bytes(
                                """
                {"op": "c", "source": {"connector": "mysql", "ts_ms": 5},
                 "after": {"doc_key": 9007199254740993, "org": 7, "body": "b"}}"""));

        assertThat(event.id()).as("beyond a double's exact range").isEqualTo("9007199254740993");
        assertThat(event.tenant()).isEqualTo("7");
    }

    @Test
    void emptyTenantIsTheDefaultTenant() throws Exception {
        DocumentEvent event =
                parser.parse(
                        null,
                        bytes(
                                """
                {"op": "c", "source": {"connector": "mysql", "ts_ms": 5},
                 "after": {"id": 1, "tenant": "", "text": "t"}}"""));

        assertThat(event.tenant()).isEqualTo("default");
    }

    @Test
    void withoutTenantOrMetadataColumnsEveryRowIsDefaultWithEmptyMetadata() throws Exception {
        DebeziumEventParser plain =
                new DebeziumEventParser(
                        new CdcColumns("id", List.of("text"), null, null), MAX_BYTES);
        byte[] value =
                bytes(
                        """
                {"op": "u", "source": {"connector": "mysql", "ts_ms": 5},
                 "after": {"id": 1, "tenant": "acme", "text": "t", "metadata": [1]}}""");

        DocumentEvent event = plain.parse(bytes("{\"id\": 1, \"tenant\": \"acme\"}"), value);

        assertThat(event.tenant()).isEqualTo("default");
        assertThat(event.metadata()).isEqualTo("{}");
        assertThat(plain.parse(bytes("{\"id\": 1, \"tenant\": \"acme\"}"), null).tenant())
                .isEqualTo("default");
    }

    // ---------------------------------------------------------------- content = the joined text
    // columns

    @ParameterizedTest(name = "title={0} text={1}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
            # title         | text            | content
            Title           | Body            | Title\\n\\nBody
            Title           | NULL            | Title
            NULL            | Body            | Body
            ''              | Body            | Body
            '  Title  '     | '\\n Body \\t'  | Title\\n\\nBody
            '   '           | Body            | Body
            """)
    void defaultColumnsFillTitleAndTextAndContentIsTheirJoin(
            String title, String text, String content) throws Exception {
        DocumentEvent event =
                parser.parse(null, upsert("title", unescape(title), "text", unescape(text)));

        String expected = unescape(content);
        assertThat(event.content()).isEqualTo(expected);
        assertThat(event.title() == null ? "" : event.title())
                .isEqualTo(
                        title == null || unescape(title).isBlank() ? "" : unescape(title).strip());
        assertThat(event.text() == null ? "" : event.text())
                .isEqualTo(text == null || unescape(text).isBlank() ? "" : unescape(text).strip());
    }

    @ParameterizedTest(name = "subject={0} body={1} summary={2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
            # subject       | body            | summary     | content
            S               | B               | Y           | S\\n\\nB\\n\\nY
            S               | NULL            | Y           | S\\n\\nY
            NULL            | B               | NULL        | B
            ''              | '  '            | Y           | Y
            ' S '           | 'B\\n\\nB2 '    | NULL        | S\\n\\nB\\n\\nB2
            """)
    void otherColumnsJoinIntoTheTextAndContentIsTheirJoin(
            String subject, String body, String summary, String content) throws Exception {
        byte[] value =
                bytes(
                        """
                {"op": "r", "source": {"connector": "postgresql", "lsn": 1},
                 "after": {"doc_key": "k", "subject": %s, "body": %s, "summary": %s}}"""
                                .formatted(quoted(subject), quoted(body), quoted(summary)));

        DocumentEvent event = tickets.parse(null, value);

        assertThat(event.title()).isNull();
        assertThat(event.text()).isEqualTo(unescape(content));
        assertThat(event.content()).isEqualTo(unescape(content));
    }

    @Test
    void aSingleTextColumnIsTheText() throws Exception {
        DebeziumEventParser single =
                new DebeziumEventParser(
                        new CdcColumns("id", List.of("body"), "tenant", "metadata"), MAX_BYTES);

        DocumentEvent event = single.parse(null, upsert("title", "ignored", "body", " B "));

        assertThat(event.title()).isNull();
        assertThat(event.content()).isEqualTo("B");
    }

    // ---------------------------------------------------------------- Flink ships it

    @Test
    void survivesJavaSerialization() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(tickets);
        }
        DebeziumEventParser copy;
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (DebeziumEventParser) in.readObject();
        }

        assertThat(copy.columns()).isEqualTo(TICKETS);
        byte[] value = value("postgresql/tickets-update.json", Wrapping.WITH_SCHEMA);
        assertThat(copy.parse(null, value)).isEqualTo(tickets.parse(null, value));
    }

    // ---------------------------------------------------------------- bad input

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            textBlock =
                    """
            # what                              | value                                                                                     | reason
            truncated JSON                      | {"op": "c", "after": {"id": 1, "text": "x"}                                               | MALFORMED_JSON
            not JSON at all                     | op=c id=1                                                                                 | MALFORMED_JSON
            empty value                         | ``                                                                                        | MALFORMED_JSON
            two events in one record            | {"op": "d", "before": {"id": 1}, "source": {"connector": "mysql", "ts_ms": 1}} {"op": "d"} | MALFORMED_JSON
            a JSON array                        | [{"op": "c"}]                                                                             | NOT_AN_OBJECT
            a JSON string                       | "c"                                                                                       | NOT_AN_OBJECT
            JSON null                           | null                                                                                      | NOT_AN_OBJECT
            a document event, not CDC           | {"tenant": "acme", "id": "d", "text": "x"}                                                | UNKNOWN_CDC_SHAPE
            an empty object                     | {}                                                                                        | UNKNOWN_CDC_SHAPE
            payload not an object               | {"schema": {"type": "string"}, "payload": "c"}                                            | UNKNOWN_CDC_SHAPE
            wrapped, no op in the payload       | {"schema": {}, "payload": {"after": {"id": 1, "text": "x"}}}                              | UNKNOWN_CDC_SHAPE
            create without after                | {"op": "c", "before": null, "source": {"connector": "mysql", "ts_ms": 1}}                 | UNKNOWN_CDC_SHAPE
            update with after null              | {"op": "u", "after": null, "source": {"connector": "mysql", "ts_ms": 1}}                  | UNKNOWN_CDC_SHAPE
            after not an object                 | {"op": "r", "after": "id=1", "source": {"connector": "mysql", "ts_ms": 1}}                | UNKNOWN_CDC_SHAPE
            before not an object                | {"op": "d", "before": [1], "source": {"connector": "mysql", "ts_ms": 1}}                  | UNKNOWN_CDC_SHAPE
            no source                           | {"op": "c", "after": {"id": 1, "text": "x"}}                                              | UNKNOWN_CDC_SHAPE
            source null                         | {"op": "d", "before": {"id": 1}, "source": null}                                          | UNKNOWN_CDC_SHAPE
            source not an object                | {"op": "c", "after": {"id": 1, "text": "x"}, "source": "mysql"}                           | UNKNOWN_CDC_SHAPE
            postgres source without lsn         | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "postgresql", "ts_ms": 1}} | UNKNOWN_CDC_SHAPE
            mysql source without ts_ms          | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "pos": 154}} | UNKNOWN_CDC_SHAPE
            source without connector or ts_ms   | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"lsn": 7}}                        | UNKNOWN_CDC_SHAPE
            truncate without a position         | {"op": "t", "source": {"connector": "postgresql", "schema": "public", "table": "documents"}} | UNKNOWN_CDC_SHAPE
            op unknown                          | {"op": "x", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | UNKNOWN_OP
            op upper case                       | {"op": "C", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | UNKNOWN_OP
            op a number                         | {"op": 1, "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}}  | WRONG_TYPE
            id missing from after               | {"op": "c", "after": {"text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}}         | MISSING_ID
            id null                             | {"op": "c", "after": {"id": null, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | MISSING_ID
            id empty                            | {"op": "u", "after": {"id": "", "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | MISSING_ID
            id fractional                       | {"op": "c", "after": {"id": 1.5, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            id an object                        | {"op": "c", "after": {"id": {"v": 1}, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            text a number                       | {"op": "c", "after": {"id": 1, "text": 42}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            title an object                     | {"op": "c", "after": {"id": 1, "title": {}, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            tenant an object                    | {"op": "c", "after": {"id": 1, "tenant": {"n": 1}, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            tenant a boolean in before          | {"op": "d", "before": {"id": 1, "tenant": true}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            metadata an array                   | {"op": "c", "after": {"id": 1, "text": "x", "metadata": [1]}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            metadata a number                   | {"op": "c", "after": {"id": 1, "text": "x", "metadata": 3}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            metadata a string of an array       | {"op": "c", "after": {"id": 1, "text": "x", "metadata": "[1]"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            metadata a string, not JSON         | {"op": "c", "after": {"id": 1, "text": "x", "metadata": "{oops"}, "source": {"connector": "mysql", "ts_ms": 1}} | WRONG_TYPE
            lsn negative                        | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "postgresql", "lsn": -1}} | WRONG_TYPE
            lsn a string                        | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "postgresql", "lsn": "0/16B3748"}} | WRONG_TYPE
            ts_ms fractional                    | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 1.5}} | WRONG_TYPE
            ts_ms beyond a long                 | {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": 99999999999999999999}} | WRONG_TYPE
            no text columns                     | {"op": "c", "after": {"id": 1}, "source": {"connector": "mysql", "ts_ms": 1}}             | EMPTY_TEXT
            text columns null                   | {"op": "r", "after": {"id": 1, "title": null, "text": null}, "source": {"connector": "mysql", "ts_ms": 1}} | EMPTY_TEXT
            text columns blank                  | {"op": "u", "after": {"id": 1, "title": " ", "text": "\\n\\t"}, "source": {"connector": "mysql", "ts_ms": 1}} | EMPTY_TEXT
            """)
    void rejectsBadInputWithItsReason(String what, String value, Reason reason) {
        BadInputException e =
                catchThrowableOfType(
                        BadInputException.class,
                        () -> parser.parse(bytes("{\"id\": 1}"), bytes(value)));

        assertThat(e).as(what).isNotNull();
        assertThat(e.reason()).as(what).isEqualTo(reason);
        assertThat(e.getMessage()).as("a detail for the dead letter").isNotBlank();
    }

    @Test
    void aTruncateIsAnEventOfItsTopicVersionedByItsPosition() throws Exception {
        for (Wrapping wrapping : Wrapping.values()) {
            DocumentEvent truncate =
                    parser.parse(null, value("postgresql/truncate.json", wrapping));

            assertThat(truncate.op()).isEqualTo(Op.TRUNCATE);
            assertThat(truncate.version()).isNotNull();
        }
    }

    @Test
    void debeziumsPlaceholderForAnUnreadTextColumnKeepsTheStoredText() throws Exception {
        DocumentEvent event =
                parser.parse(
                        bytes("{\"id\": 7}"),
                        bytes(
                                "{\"op\": \"u\", \"after\": {\"id\": 7, "
                                        + "\"title\": \"T\", \"text\": \"__debezium_unavailable_value\", \"metadata\": {\"k\": 2}}, "
                                        + "\"source\": {\"connector\": \"postgresql\", \"lsn\": 900}}"));

        assertThat(event.op()).isEqualTo(Op.KEEP_TEXT);
        assertThat(event.version()).isEqualTo(900L);
        assertThat(event.text()).isNull();
        assertThat(event.metadata()).isEqualTo("{\"k\":2}");
    }

    @Test
    void withATenantRequiredAChangeThatCannotNameItsTenantIsDeadLettered() throws Exception {
        DebeziumEventParser strict =
                new DebeziumEventParser(
                        CdcColumns.defaults(), IngestLimits.defaults().withRequireTenant(true));
        String source = "\"source\": {\"connector\": \"mysql\", \"ts_ms\": 5}";

        assertThat(
                        reasonOf(
                                strict,
                                bytes("{\"id\": 7}"),
                                bytes("{\"op\": \"d\", \"before\": {\"id\": 7}, " + source + "}")))
                .as("a delete under REPLICA IDENTITY DEFAULT")
                .isEqualTo(Reason.MISSING_TENANT);
        assertThat(reasonOf(strict, bytes("{\"id\": 7}"), null))
                .as("a tombstone keyed by the id alone")
                .isEqualTo(Reason.MISSING_TENANT);
        assertThat(strict.parse(bytes("{\"id\": 7, \"tenant\": \"acme\"}"), null).tenant())
                .isEqualTo("acme");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            textBlock =
                    """
            a heartbeat                         | {"ts_ms": 1733333333333}
            a heartbeat with its schema         | {"schema": {"name": "io.debezium.connector.common.Heartbeat"}, "payload": {"ts_ms": 1}}
            a transaction BEGIN record          | {"status": "BEGIN", "id": "571:53195829", "event_count": null, "ts_ms": 1}
            a transaction END record            | {"status": "END", "id": "571:53195829", "event_count": 2, "data_collections": [], "ts_ms": 1}
            a schema change                     | {"source": {"connector": "mysql", "ts_ms": 1}, "databaseName": "app", "ddl": "ALTER TABLE t ADD c INT", "tableChanges": []}
            a logical decoding message          | {"op": "m", "source": {"connector": "postgresql", "lsn": 1}, "message": {"prefix": "p"}}
            """)
    void recordsThatChangeNoDocumentAreSkipped(String what, String value) throws Exception {
        assertThat(parser.parse(bytes("{\"serverName\": \"app\"}"), bytes(value)))
                .as(what)
                .isNull();
    }

    @Test
    void aMessageEventIsSkippedInBothWrappings() throws Exception {
        for (Wrapping wrapping : Wrapping.values()) {
            assertThat(
                            parser.parse(
                                    bytes("{\"prefix\": \"audit\"}"),
                                    value("postgresql/message.json", wrapping)))
                    .isNull();
        }
    }

    @Test
    void aTombstoneOrKeyOnlyDeleteWithoutAKeyIsMissingItsKey() {
        byte[] keyOnlyDelete = value("postgresql/delete-without-before.json", Wrapping.WITH_SCHEMA);
        byte[] nullPayload = bytes("{\"schema\": {\"type\": \"struct\"}, \"payload\": null}");

        assertThat(reasonOf(parser, null, null)).isEqualTo(Reason.MISSING_KEY);
        assertThat(reasonOf(parser, new byte[0], null)).isEqualTo(Reason.MISSING_KEY);
        assertThat(reasonOf(parser, null, keyOnlyDelete)).isEqualTo(Reason.MISSING_KEY);
        assertThat(reasonOf(parser, null, nullPayload)).isEqualTo(Reason.MISSING_KEY);
    }

    @Test
    void aKeyWithoutTheIdColumnIsMissingTheId() {
        byte[] keyOnlyDelete =
                value("postgresql/delete-without-before.json", Wrapping.WITHOUT_SCHEMA);

        assertThat(reasonOf(parser, bytes("{\"tenant\": \"acme\"}"), null))
                .isEqualTo(Reason.MISSING_ID);
        assertThat(
                        reasonOf(
                                parser,
                                bytes("{\"schema\": {}, \"payload\": {\"pk\": 1}}"),
                                keyOnlyDelete))
                .isEqualTo(Reason.MISSING_ID);
        // REPLICA IDENTITY NOTHING-like: 'before' holds nulls, and the key is not keyed by the id
        // column
        assertThat(
                        reasonOf(
                                tickets,
                                bytes("{\"pk\": 1}"),
                                edited(
                                        "postgresql/tickets-delete.json",
                                        p -> ((ObjectNode) p.get("before")).putNull("doc_key"))))
                .isEqualTo(Reason.MISSING_ID);
    }

    @Test
    void aKeyThatIsNotADebeziumKeyIsBad() {
        assertThat(reasonOf(parser, bytes("acme/42"), null))
                .as("a document-topic key")
                .isEqualTo(Reason.MALFORMED_JSON);
        assertThat(reasonOf(parser, bytes("42"), null)).isEqualTo(Reason.UNKNOWN_CDC_SHAPE);
        assertThat(reasonOf(parser, bytes("[42]"), null)).isEqualTo(Reason.UNKNOWN_CDC_SHAPE);
        assertThat(reasonOf(parser, bytes("{\"schema\": {}, \"payload\": 42}"), null))
                .isEqualTo(Reason.UNKNOWN_CDC_SHAPE);
        assertThat(reasonOf(parser, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, null))
                .isEqualTo(Reason.INVALID_UTF8);
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] latin1 =
                "{\"op\": \"c\", \"after\": {\"id\": 1, \"text\": \"caf\u00e9\"}, \"source\": {\"connector\": \"mysql\", \"ts_ms\": 1}}"
                        .getBytes(StandardCharsets.ISO_8859_1);

        assertThat(reasonOf(parser, null, latin1)).isEqualTo(Reason.INVALID_UTF8);
        assertThat(reasonOf(parser, null, new byte[] {'{', (byte) 0x80, '}'}))
                .isEqualTo(Reason.INVALID_UTF8);
    }

    @Test
    void rejectsAValueOverTheSizeLimitAndAcceptsOneAtIt() throws Exception {
        byte[] value = value("mysql/create.json", Wrapping.WITH_SCHEMA);
        DebeziumEventParser atTheLimit = new DebeziumEventParser(value.length);
        DebeziumEventParser belowIt = new DebeziumEventParser(value.length - 1);

        assertThat(atTheLimit.parse(null, value).id()).isEqualTo("1004");
        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> belowIt.parse(null, value));
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage())
                .contains(String.valueOf(value.length))
                .contains(String.valueOf(value.length - 1));
    }

    @Test
    void theDetailSaysWhereTheProblemIs() {
        assertThat(
                        messageOf(
                                tickets,
                                null,
                                bytes(
                                        """
                {"op": "c", "after": {"subject": "s"}, "source": {"connector": "mysql", "ts_ms": 1}}""")))
                .contains("after")
                .contains("doc_key");
        assertThat(messageOf(tickets, bytes("{\"pk\": 1}"), null))
                .contains("record key")
                .contains("doc_key");
        assertThat(
                        messageOf(
                                tickets,
                                null,
                                bytes(
                                        """
                {"op": "c", "after": {"doc_key": "k", "body": "b", "attributes": "{oops"}, "source": {"connector": "mysql", "ts_ms": 1}}""")))
                .contains("attributes");
        assertThat(
                        messageOf(
                                tickets,
                                null,
                                bytes(
                                        """
                {"op": "c", "after": {"doc_key": "k", "org": [], "body": "b"}, "source": {"connector": "mysql", "ts_ms": 1}}""")))
                .contains("org");
        assertThat(
                        messageOf(
                                tickets,
                                null,
                                bytes(
                                        """
                {"op": "c", "after": {"doc_key": "k"}, "source": {"connector": "mysql", "ts_ms": 1}}""")))
                .contains("subject")
                .contains("body")
                .contains("summary");
        assertThat(messageOf(parser, null, bytes("{\"id\": \"d\", \"text\": \"x\"}")))
                .contains("op")
                .contains("id, text");
        assertThat(
                        messageOf(
                                parser,
                                null,
                                bytes(
                                        """
                {"op": "c", "after": {"id": 1, "text": "x"}, "source": {"connector": "mysql", "ts_ms": "1"}}""")))
                .contains("source.ts_ms");
    }

    // ---------------------------------------------------------------- helpers

    static Stream<Arguments> valueAndKeyWrappings() {
        return Stream.of(Wrapping.values())
                .flatMap(v -> Stream.of(Wrapping.values()).map(k -> Arguments.of(v, k)));
    }

    /** A record value from a fixture, in the given wrapping. */
    private static byte[] value(String fixture, Wrapping wrapping) {
        JsonNode node = fixture(fixture);
        boolean wrapped = node.has("schema") && node.has("payload");
        JsonNode payload = wrapped ? node.get("payload") : node;
        if (wrapping == Wrapping.WITHOUT_SCHEMA) {
            return write(payload);
        }
        return write(wrapped ? node : wrap(fixture(tableFixture(fixture)).get("schema"), payload));
    }

    /** A record key from a fixture, in the given wrapping. */
    private static byte[] key(String fixture, Wrapping wrapping) {
        JsonNode node = fixture(fixture);
        boolean wrapped = node.has("schema") && node.has("payload");
        JsonNode payload = wrapped ? node.get("payload") : node;
        if (wrapping == Wrapping.WITHOUT_SCHEMA) {
            return write(payload);
        }
        try {
            return write(wrapped ? node : wrap(JSON.readTree(TICKETS_KEY_SCHEMA), payload));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The fixture whose schema is its table's value schema (the same in every event of the table).
     */
    private static String tableFixture(String fixture) {
        return fixture.contains("tickets")
                ? "postgresql/tickets-update.json"
                : fixture.substring(0, fixture.indexOf('/')) + "/create.json";
    }

    private static JsonNode payload(String fixture) {
        JsonNode node = fixture(fixture);
        return node.has("payload") ? node.get("payload") : node;
    }

    /** The fixture's envelope, edited, without its schema. */
    private static byte[] edited(String fixture, Consumer<JsonNode> edit) {
        JsonNode payload = payload(fixture).deepCopy();
        edit.accept(payload);
        return write(payload);
    }

    private static JsonNode wrap(JsonNode schema, JsonNode payload) {
        ObjectNode wrapped = JSON.createObjectNode();
        wrapped.set("schema", schema);
        wrapped.set("payload", payload);
        return wrapped;
    }

    private static JsonNode fixture(String name) {
        try (InputStream in =
                DebeziumEventParserTest.class.getResourceAsStream("/debezium/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A minimal MySQL upsert whose row holds the given columns (null values written as JSON null).
     */
    private static byte[] upsert(String column1, String value1, String column2, String value2) {
        ObjectNode after = JSON.createObjectNode().put("id", 1);
        after.put(column1, value1);
        after.put(column2, value2);
        ObjectNode envelope = JSON.createObjectNode().put("op", "c");
        envelope.set("after", after);
        envelope.set("source", JSON.createObjectNode().put("connector", "mysql").put("ts_ms", 1));
        return write(envelope);
    }

    /** A CSV cell as a JSON value: a string, or null. */
    private static String quoted(String csv) {
        return csv == null ? "null" : text(write(JSON.getNodeFactory().textNode(unescape(csv))));
    }

    /** The CSV tables spell newlines and tabs as \n and \t. */
    private static String unescape(String csv) {
        return csv == null ? null : csv.replace("\\n", "\n").replace("\\t", "\t");
    }

    private static Reason reasonOf(DebeziumEventParser p, byte[] key, byte[] value) {
        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> p.parse(key, value));
        assertThat(e).as("parsing key %s value %s must fail", text(key), text(value)).isNotNull();
        return e.reason();
    }

    private static String messageOf(DebeziumEventParser p, byte[] key, byte[] value) {
        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> p.parse(key, value));
        assertThat(e).as("parsing key %s value %s must fail", text(key), text(value)).isNotNull();
        return e.getMessage();
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
