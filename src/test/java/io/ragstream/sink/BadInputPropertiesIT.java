package io.ragstream.sink;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.Chunker;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.Vectors;
import io.ragstream.ingest.BadInputException;
import io.ragstream.ingest.CdcColumns;
import io.ragstream.ingest.DeadLetter;
import io.ragstream.ingest.DeadLetterSerializer;
import io.ragstream.ingest.DebeziumEventParser;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.ingest.DocumentEventParser;
import io.ragstream.ingest.IngestLimits;
import io.ragstream.ingest.KafkaRecord;
import io.ragstream.ingest.ParseDocuments;
import io.ragstream.ingest.StorableEvents;
import io.ragstream.job.RagstreamJob;
import io.ragstream.quantize.Quantization;
import io.ragstream.testing.TestServices;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever a producer or Debezium sends ends as a stored document or as a dead letter with a
 * reason, never as any other exception: generated and mutated records (bit flips, truncations, type
 * swaps, random Unicode with astral characters, NULs and unpaired surrogates, huge and empty
 * fields) go through the real parser, the job's chunker with the model's tokenizer, and the sink's
 * statements against the real PostgreSQL, and what is stored reads back exactly as accepted.
 */
class BadInputPropertiesIT {
    private static final int DIMENSION = 384;
    private static final String DOCUMENTS_TOPIC = "docs";
    private static final String CDC_TOPIC = "cdc";

    private static TestServices services;
    private static Chunker chunker;
    private static ParseDocuments parse;
    private static DocumentWriter writer;
    private static Connection connection;
    private static final DeadLetterSerializer DEAD_LETTERS =
            new DeadLetterSerializer(
                    "dlq",
                    io.ragstream.config.RagstreamOptions.KAFKA_DLQ_MAX_VALUE_BYTES.defaultValue());
    private static final Map<String, AtomicInteger> OUTCOMES = new java.util.TreeMap<>();

    @BeforeContainer
    static void open() throws Exception {
        services = new TestServices("badinput");
        RagstreamConfig config = services.config();
        chunker = RagstreamJob.chunker(config, EmbeddingOptions.from(config));
        IngestLimits limits = IngestLimits.from(config);
        parse =
                new ParseDocuments(
                        new DocumentEventParser(limits),
                        Map.of(CDC_TOPIC, new DebeziumEventParser(CdcColumns.defaults(), limits)),
                        limits);
        PgVectorSchema schema =
                new PgVectorSchema(
                        services.documentsTable,
                        services.chunksTable,
                        Quantization.FLOAT16,
                        DIMENSION);
        writer = new DocumentWriter(schema, "all-MiniLM-L6-v2");
        connection = TestServices.connect();
        schema.create(connection, 16, 64, false); // the index plays no part in what a row may hold
        connection.setAutoCommit(false);
    }

    @AfterContainer
    static void close() throws Exception {
        System.out.println("BadInputPropertiesIT outcomes: " + OUTCOMES);
        connection.close();
        services.dropTables();
        chunker.close();
    }

    @Property(tries = 5000, seed = "20261204", edgeCases = EdgeCasesMode.NONE)
    void everyRecordIsStoredOrDeadLetteredWithAReason(@ForAll("records") KafkaRecord record)
            throws Exception {
        StorableEvents.Checked checked;
        try {
            checked = parse.parse(record);
        } catch (BadInputException e) {
            assertThat(e.reason()).isNotNull();
            assertThat(e.getMessage()).isNotBlank();
            var letter =
                    DEAD_LETTERS.serialize(
                            DeadLetter.of(record, e.reason(), e.getMessage()), null, null);
            assertThat(length(letter.key()) + length(letter.value()))
                    .as("fits the dead-letter producer")
                    .isLessThan(DeadLetterSerializer.MAX_REQUEST_BYTES);
            count("dead letter " + e.reason());
            return;
        }
        if (checked == null) {
            count("skipped");
            return;
        }
        DocumentEvent event = checked.event();
        DocumentUpdate update = updateFor(event);
        forget(event);
        writer.write(connection, List.of(update));
        connection.commit();
        assertStoredAsAccepted(event, update);
        count("stored " + event.op());
    }

    /** What the job would write for the event, for a document it holds nothing of. */
    private static DocumentUpdate updateFor(DocumentEvent event) {
        long version = event.version() != null ? event.version() : event.timestamp();
        return switch (event.op()) {
            case TRUNCATE -> DocumentUpdate.truncate(event.sourceTopic(), version);
            case UNSTORED_TEXT ->
                    throw new AssertionError(
                            "only the dead-letter topic's letters read back are unstored texts");
            case DELETE ->
                    DocumentUpdate.delete(
                            event.tenant(),
                            event.id(),
                            event.version() == null ? DocumentUpdate.VERSION_UNKNOWN : version);
            case KEEP_TEXT ->
                    new DocumentUpdate(
                            event.tenant(),
                            event.id(),
                            version,
                            false,
                            event.metadata(),
                            List.of(),
                            DocumentUpdate.Kind.KEEP_STORED_CHUNKS,
                            event.sourceTopic());
            case UPSERT -> {
                List<String> texts = chunker.split(event.content());
                assertThat(texts).as("an accepted upsert has something to embed").isNotEmpty();
                Random random = new Random(event.key().hashCode());
                List<ChunkRow> chunks = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    chunks.add(
                            new ChunkRow(
                                    i,
                                    texts.get(i),
                                    DocumentChunker.sha256(texts.get(i)),
                                    Vectors.randomUnit(random, DIMENSION)));
                }
                yield new DocumentUpdate(
                        event.tenant(),
                        event.id(),
                        version,
                        false,
                        event.metadata(),
                        chunks,
                        DocumentUpdate.Kind.WRITE,
                        event.sourceTopic());
            }
        };
    }

    /** Each record is checked on its own: the document's rows and any truncate's mark go first. */
    private static void forget(DocumentEvent event) throws Exception {
        try (PreparedStatement st =
                connection.prepareStatement(
                        "DELETE FROM \"" + services.documentsTable + "\" WHERE tenant = ''")) {
            st.executeUpdate();
        }
        for (String table : new String[] {services.chunksTable, services.documentsTable}) {
            try (PreparedStatement st =
                    connection.prepareStatement(
                            "DELETE FROM \"" + table + "\" WHERE tenant = ? AND doc_id = ?")) {
                st.setString(1, event.tenant());
                st.setString(2, event.id());
                st.executeUpdate();
            }
        }
        connection.commit();
    }

    private static void assertStoredAsAccepted(DocumentEvent event, DocumentUpdate update)
            throws Exception {
        if (event.op() != DocumentEvent.Op.UPSERT) {
            return; // nothing was stored to delete or keep
        }
        try (PreparedStatement st =
                connection.prepareStatement(
                        "SELECT d.tenant, d.doc_id, d.version, d.chunk_count,"
                                + " (SELECT array_agg(c.content ORDER BY c.chunk_no) FROM \""
                                + services.chunksTable
                                + "\" c"
                                + "  WHERE c.tenant = d.tenant AND c.doc_id = d.doc_id), (SELECT min(c.metadata::text) FROM \""
                                + services.chunksTable
                                + "\" c WHERE c.tenant = d.tenant AND c.doc_id = d.doc_id)"
                                + " FROM \""
                                + services.documentsTable
                                + "\" d WHERE d.tenant = ? AND d.doc_id = ?")) {
            st.setString(1, event.tenant());
            st.setString(2, event.id());
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("the document row of %s", event.key()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(event.tenant());
                assertThat(rs.getString(2)).isEqualTo(event.id());
                assertThat(rs.getLong(3)).isEqualTo(update.version());
                assertThat(rs.getInt(4)).isEqualTo(update.chunkCount());
                assertThat((String[]) rs.getArray(5).getArray())
                        .containsExactlyElementsOf(
                                update.chunks().stream().map(ChunkRow::text).toList());
                assertThat(rs.getString(6)).isNotNull();
            }
        }
        connection.commit();
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static void count(String outcome) {
        OUTCOMES.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<KafkaRecord> records() {
        Arbitrary<byte[]> documents = documentEvents().map(BadInputPropertiesIT::utf8);
        Arbitrary<byte[]> changes = debeziumEvents().map(BadInputPropertiesIT::utf8);
        Arbitrary<byte[]> keys =
                Arbitraries.oneOf(
                        Arbitraries.just((byte[]) null),
                        Combinators.combine(text(), text()).as((t, i) -> utf8(t + "/" + i)),
                        Combinators.combine(text(), text())
                                .as(
                                        (t, i) ->
                                                utf8(
                                                        "{\"tenant\":"
                                                                + json(t)
                                                                + ",\"id\":"
                                                                + json(i)
                                                                + "}")),
                        text().map(t -> utf8("{\"id\":" + json(t) + "}")),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(32));
        return Arbitraries.oneOf(
                records(DOCUMENTS_TOPIC, documents, keys), records(CDC_TOPIC, changes, keys));
    }

    /** Records of one topic: mostly its own kind of value, else mutated, random or null. */
    private static Arbitrary<KafkaRecord> records(
            String topic, Arbitrary<byte[]> values, Arbitrary<byte[]> keys) {
        Arbitrary<byte[]> value =
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, values),
                        net.jqwik.api.Tuple.of(3, mutated(values)),
                        net.jqwik.api.Tuple.of(
                                1, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just((byte[]) null)));
        return Combinators.combine(keys, value, Arbitraries.longs().between(-1, 2_000_000_000_000L))
                .as((key, v, timestamp) -> new KafkaRecord(topic, 0, 0, timestamp, key, v));
    }

    /** Document events whose fields take any type, any Unicode, any size. */
    private Arbitrary<String> documentEvents() {
        return Combinators.combine(
                        field("tenant", text()),
                        field("id", text()),
                        field("version", version()),
                        field(
                                "op",
                                Arbitraries.frequencyOf(
                                                net.jqwik.api.Tuple.of(
                                                        8, Arbitraries.of("upsert", "delete")),
                                                net.jqwik.api.Tuple.of(
                                                        1, Arbitraries.of("UPSERT", "merge")),
                                                net.jqwik.api.Tuple.of(1, text()))
                                        .map(BadInputPropertiesIT::json)),
                        field("title", text()),
                        field("text", Arbitraries.oneOf(text(), hugeText())),
                        field("metadata", metadata()))
                .as((a, b, c, d, e, f, g) -> object(a, b, c, d, e, f, g));
    }

    /** Debezium envelopes (PostgreSQL or MySQL source), wrapped or not, with rows of any shape. */
    private Arbitrary<String> debeziumEvents() {
        Arbitrary<String> row =
                Combinators.combine(
                                field("id", text()),
                                field("tenant", text()),
                                field("title", text()),
                                field(
                                        "text",
                                        Arbitraries.oneOf(
                                                text(),
                                                Arbitraries.just(
                                                        json("__debezium_unavailable_value")))),
                                field("metadata", metadata()))
                        .as((a, b, c, d, e) -> object(a, b, c, d, e));
        Arbitrary<String> source =
                Combinators.combine(Arbitraries.of("postgresql", "mysql", "sqlserver"), version())
                        .as(
                                (connector, v) ->
                                        "{\"connector\":"
                                                + json(connector)
                                                + ",\"lsn\":"
                                                + v
                                                + ",\"ts_ms\":"
                                                + v
                                                + "}");
        Arbitrary<String> envelope =
                Combinators.combine(
                                Arbitraries.frequencyOf(
                                        net.jqwik.api.Tuple.of(
                                                8, Arbitraries.of("c", "r", "u", "d")),
                                        net.jqwik.api.Tuple.of(1, Arbitraries.of("t", "m", "x"))),
                                row.injectNull(0.2),
                                row.injectNull(0.2),
                                source)
                        .as(
                                (op, before, after, src) ->
                                        "{\"op\":"
                                                + json(op)
                                                + ",\"before\":"
                                                + before
                                                + ",\"after\":"
                                                + after
                                                + ",\"source\":"
                                                + src
                                                + "}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, envelope),
                net.jqwik.api.Tuple.of(
                        4, envelope.map(e -> "{\"schema\":{},\"payload\":" + e + "}")),
                net.jqwik.api.Tuple.of(
                        1,
                        Arbitraries.of(
                                "{\"ts_ms\":1}",
                                "{\"status\":\"BEGIN\",\"id\":\"1:2\"}",
                                "{\"ddl\":\"DROP TABLE t\"}")));
    }

    /** Bit flips, truncations and inserted bytes on otherwise well-formed values. */
    private static Arbitrary<byte[]> mutated(Arbitrary<byte[]> values) {
        return Combinators.combine(
                        values, Arbitraries.integers().between(0, 2), Arbitraries.randoms())
                .as(
                        (value, kind, random) -> {
                            if (value == null || value.length == 0) {
                                return value;
                            }
                            byte[] out = value.clone();
                            int at = random.nextInt(out.length);
                            return switch (kind) {
                                case 0 -> {
                                    out[at] ^= (byte) (1 << random.nextInt(8));
                                    yield out;
                                }
                                case 1 -> java.util.Arrays.copyOf(out, at);
                                default -> {
                                    byte[] inserted = new byte[out.length + 1];
                                    System.arraycopy(out, 0, inserted, 0, at);
                                    inserted[at] = (byte) random.nextInt(256);
                                    System.arraycopy(out, at, inserted, at + 1, out.length - at);
                                    yield inserted;
                                }
                            };
                        });
    }

    /** A field that is absent, null, of the expected kind, or of another type. */
    private static Arbitrary<String> field(String name, Arbitrary<String> expected) {
        Arbitrary<String> value =
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(60, expected),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.of(
                                        "null",
                                        "\"\"",
                                        "true",
                                        "[]",
                                        "{}",
                                        "[\"a\",1]",
                                        "-1",
                                        "1.5",
                                        "1e400")),
                        net.jqwik.api.Tuple.of(1, Arbitraries.longs().map(String::valueOf)));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just("")),
                net.jqwik.api.Tuple.of(9, value.map(v -> json(name) + ":" + v)));
    }

    private static String object(String... fields) {
        return "{"
                + String.join(
                        ",", java.util.Arrays.stream(fields).filter(f -> !f.isEmpty()).toList())
                + "}";
    }

    private static Arbitrary<String> version() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(0, 1L << 40).map(Object::toString),
                Arbitraries.of(
                        "9223372036854775807",
                        "-5",
                        "99999999999999999999",
                        "3.0",
                        "\"7\"",
                        "2305843009213693952"));
    }

    /**
     * A JSON string of random pieces: words, any UTF-16 unit (unpaired surrogates included), astral
     * characters, CJK runs, NULs, zero-width and combining marks.
     */
    private static Arbitrary<String> text() {
        Arbitrary<String> piece =
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(
                                5, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12)),
                        net.jqwik.api.Tuple.of(
                                3, Arbitraries.of(" ", "\n\n", "\t", ". ", "/", "%", "\u3000")),
                        net.jqwik.api.Tuple.of(2, Arbitraries.chars().all().map(String::valueOf)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.integers()
                                        .between(0x10000, 0x10FFFF)
                                        .map(Character::toString)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.strings()
                                        .withCharRange('\u4e00', '\u9fff')
                                        .ofMaxLength(300)),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.of(
                                        "\u0000", "\u200b", "\u0301", "\ufeff", "\ufffd",
                                        "\u0001")));
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(
                                12,
                                piece.list()
                                        .ofMinSize(1)
                                        .ofMaxSize(30)
                                        .map(pieces -> String.join("", pieces))),
                        net.jqwik.api.Tuple.of(
                                1,
                                Arbitraries.strings()
                                        .withChars('x')
                                        .ofMinLength(100)
                                        .ofMaxLength(3000)))
                .map(BadInputPropertiesIT::json);
    }

    private static Arbitrary<String> hugeText() {
        return Arbitraries.strings()
                .withChars("ab \n.")
                .ofMinLength(10_000)
                .ofMaxLength(60_000)
                .map(BadInputPropertiesIT::json);
    }

    /** Objects nested up to 40 deep, or a string holding one, with any strings and numbers. */
    private static Arbitrary<String> metadata() {
        Arbitrary<String> leaf =
                Arbitraries.oneOf(
                        text(), Arbitraries.of("1", "1e400", "-0.5", "true", "null", "1e-400000"));
        Arbitrary<String> nested =
                Combinators.combine(Arbitraries.integers().between(0, 40), text(), leaf)
                        .as(
                                (depth, key, value) ->
                                        "{"
                                                + key
                                                + ":"
                                                + "{\"k\":".repeat(depth)
                                                + value
                                                + "}".repeat(depth)
                                                + "}");
        return Arbitraries.oneOf(
                nested,
                nested.map(BadInputPropertiesIT::json),
                Arbitraries.strings()
                        .withChars('v')
                        .ofMinLength(60_000)
                        .ofMaxLength(70_000)
                        .map(v -> "{\"k\":\"" + v + "\"}"));
    }

    /**
     * A JSON string literal; every UTF-16 unit outside ASCII printable is escaped, so unpaired
     * surrogates survive.
     */
    private static String json(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
