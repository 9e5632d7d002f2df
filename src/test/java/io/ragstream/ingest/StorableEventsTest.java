package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The README's bad-input policy, one case each: what is refused, what is cleaned, what passes. */
class StorableEventsTest {

    private final ParseDocuments parse =
            new ParseDocuments(new DocumentEventParser(IngestLimits.defaults()));

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            textBlock =
                    """
            NUL in the id                   | {"id": "a\\u0000b", "text": "x"}                                  | UNSTORABLE_CHARACTER
            NUL in the tenant               | {"tenant": "\\u0000", "id": "a", "text": "x"}                     | UNSTORABLE_CHARACTER
            unpaired high surrogate in id   | {"id": "a\\ud800", "text": "x"}                                   | UNSTORABLE_CHARACTER
            unpaired low surrogate tenant   | {"tenant": "\\udc00t", "id": "a", "text": "x"}                    | UNSTORABLE_CHARACTER
            NUL in a metadata value         | {"id": "a", "text": "x", "metadata": {"k": "v\\u0000"}}           | UNSTORABLE_CHARACTER
            NUL in a metadata key           | {"id": "a", "text": "x", "metadata": {"k\\u0000": 1}}             | UNSTORABLE_CHARACTER
            surrogate deep in metadata      | {"id": "a", "text": "x", "metadata": {"a": [{"b": "\\udfff"}]}}   | UNSTORABLE_CHARACTER
            a number jsonb cannot hold      | {"id": "a", "text": "x", "metadata": {"n": 1e400000}}             | METADATA_TOO_LARGE
            a version leaving no room       | {"id": "a", "text": "x", "version": 9223372036854775807}          | VERSION_OUT_OF_RANGE
            only zero-width characters      | {"id": "a", "text": "\\u200b\\u200d\\ufeff"}                      | EMPTY_TEXT
            only controls                   | {"id": "a", "text": "\\u0001\\u0002\\u007f"}                      | EMPTY_TEXT
            only combining marks            | {"id": "a", "text": "\\u0301\\u0308"}                             | EMPTY_TEXT
            only NULs                       | {"id": "a", "text": "\\u0000\\u0000"}                             | EMPTY_TEXT
            only unpaired surrogates        | {"id": "a", "text": "\\udc00\\ud800"}                              | EMPTY_TEXT
            """)
    void unstorableEventsAreDeadLetteredWithTheirReason(String what, String json, Reason reason) {
        BadInputException e =
                catchThrowableOfType(
                        BadInputException.class, () -> parse.parse(record(null, json)));
        assertThat(e).as(what).isNotNull();
        assertThat(e.reason()).as(what).isEqualTo(reason);
    }

    @Test
    void idsAndTenantsOverTheByteLimitAreDeadLetteredAndAtItAreKept() throws Exception {
        String atLimit = "é".repeat(256); // 512 bytes
        assertThat(
                        parse.parse(record(null, "{\"id\": \"" + atLimit + "\", \"text\": \"x\"}"))
                                .event()
                                .id())
                .isEqualTo(atLimit);
        for (String field : new String[] {"id", "tenant"}) {
            String json =
                    field.equals("id")
                            ? "{\"id\": \"" + atLimit + "e\", \"text\": \"x\"}"
                            : "{\"id\": \"a\", \"text\": \"x\", \"tenant\": \"" + atLimit + "e\"}";
            assertThat(
                            catchThrowableOfType(
                                            BadInputException.class,
                                            () -> parse.parse(record(null, json)))
                                    .reason())
                    .as(field)
                    .isEqualTo(Reason.ID_TOO_LONG);
        }
    }

    @Test
    void metadataTooLargeOrTooDeepIsDeadLettered() {
        String big =
                "{\"id\": \"a\", \"text\": \"x\", \"metadata\": {\"k\": \""
                        + "v".repeat(70_000)
                        + "\"}}";
        String deep =
                "{\"id\": \"a\", \"text\": \"x\", \"metadata\": "
                        + "{\"k\": ".repeat(40)
                        + "1"
                        + "}".repeat(40)
                        + "}";
        String asString =
                "{\"id\": \"a\", \"text\": \"x\", \"metadata\": \""
                        + "{\\\"k\\\": ".repeat(40)
                        + "1"
                        + "}".repeat(40)
                        + "\"}";
        for (String json : new String[] {big, deep, asString}) {
            assertThat(
                            catchThrowableOfType(
                                            BadInputException.class,
                                            () -> parse.parse(record(null, json)))
                                    .reason())
                    .isEqualTo(Reason.METADATA_TOO_LARGE);
        }
    }

    @Test
    void nulsLeaveTheTextAndUnpairedSurrogatesBecomeReplacementCharactersCounted()
            throws Exception {
        StorableEvents.Checked checked =
                parse.parse(
                        record(
                                null,
                                "{\"id\": \"a\", \"title\": \"T\\u0000itle\", \"text\": \"one\\u0000 two \\ud800 three \\ud83d\\ude00\"}"));
        assertThat(checked.event().title()).isEqualTo("Title");
        assertThat(checked.event().text()).isEqualTo("one two \uFFFD three \uD83D\uDE00");
        assertThat(checked.charactersReplaced()).isEqualTo(3);
    }

    @Test
    void exactDecimalsInMetadataStayExact() throws Exception {
        StorableEvents.Checked checked =
                parse.parse(
                        record(
                                null,
                                "{\"id\": \"a\", \"text\": \"x\", \"metadata\": {\"big\": 1e400, \"price\": 0.10}}"));
        assertThat(checked.event().metadata()).isEqualTo("{\"big\":1E+400,\"price\":0.10}");
    }

    @Test
    void aTenantHoldingASlashNeverSharesAKeyWithAnotherDocument() throws Exception {
        DocumentEvent slashInTenant =
                parse.parse(record(null, "{\"tenant\": \"a/b\", \"id\": \"c\", \"text\": \"x\"}"))
                        .event();
        DocumentEvent slashInId =
                parse.parse(record(null, "{\"tenant\": \"a\", \"id\": \"b/c\", \"text\": \"x\"}"))
                        .event();
        DocumentEvent percent =
                parse.parse(record(null, "{\"tenant\": \"a%2Fb\", \"id\": \"c\", \"text\": \"x\"}"))
                        .event();
        assertThat(java.util.Set.of(slashInTenant.key(), slashInId.key(), percent.key()))
                .hasSize(3);
        assertThat(slashInId.key()).isEqualTo("a/b/c");
        for (DocumentEvent e : new DocumentEvent[] {slashInTenant, slashInId, percent}) {
            assertThat(DocumentEvent.tenantOfKey(e.key())).isEqualTo(e.tenant());
            assertThat(DocumentEvent.idOfKey(e.key())).isEqualTo(e.id());
        }
    }

    @Test
    void aTombstoneKeyIsTenantSlashIdOrAJsonObjectForATenantHoldingASlash() throws Exception {
        DocumentEvent plain = parse.parse(record("acme/docs/42", null)).event();
        assertThat(plain.tenant()).isEqualTo("acme");
        assertThat(plain.id()).isEqualTo("docs/42");
        DocumentEvent json =
                parse.parse(record("{\"tenant\": \"a/b\", \"id\": \"c\"}", null)).event();
        assertThat(json.tenant()).isEqualTo("a/b");
        assertThat(json.id()).isEqualTo("c");
        assertThat(json.version()).isNull();
    }

    @Test
    void withATenantRequiredAnEventOrTombstoneWithoutOneIsDeadLettered() throws Exception {
        ParseDocuments strict =
                new ParseDocuments(
                        new DocumentEventParser(IngestLimits.defaults().withRequireTenant(true)));
        for (KafkaRecord r :
                new KafkaRecord[] {
                    record(null, "{\"id\": \"a\", \"text\": \"x\"}"),
                    record("a", null),
                    record(null, "{\"tenant\": \"\", \"id\": \"a\", \"text\": \"x\"}")
                }) {
            assertThat(
                            catchThrowableOfType(BadInputException.class, () -> strict.parse(r))
                                    .reason())
                    .isEqualTo(Reason.MISSING_TENANT);
        }
        assertThat(strict.parse(record("acme/a", null)).event().tenant()).isEqualTo("acme");
    }

    private static KafkaRecord record(String key, String value) {
        return new KafkaRecord(
                "docs",
                0,
                0,
                1_000L,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
