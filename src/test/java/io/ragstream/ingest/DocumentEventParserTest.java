package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;
import io.ragstream.ingest.DocumentEvent.Op;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The document-event format of DESIGN.md "Inputs", and each way input can be bad. */
class DocumentEventParserTest {

    private static final int MAX_BYTES = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DocumentEventParser parser = new DocumentEventParser(MAX_BYTES);

    // ---------------------------------------------------------------- good input

    @Test
    void parsesAFullEvent() throws Exception {
        DocumentEvent event =
                parse(
                        "acme/doc-42",
                        """
                {"tenant": "acme", "id": "doc-42", "version": 7, "op": "upsert",
                 "title": "A title", "text": "The body.", "metadata": {"lang": "en", "tags": ["a", "b"]}}
                """);

        assertThat(event.tenant()).isEqualTo("acme");
        assertThat(event.id()).isEqualTo("doc-42");
        assertThat(event.key()).isEqualTo("acme/doc-42");
        assertThat(event.version()).isEqualTo(7L);
        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.title()).isEqualTo("A title");
        assertThat(event.text()).isEqualTo("The body.");
        assertThat(event.content()).isEqualTo("A title\n\nThe body.");
        assertThat(JSON.readTree(event.metadata()))
                .isEqualTo(JSON.readTree("{\"lang\":\"en\",\"tags\":[\"a\",\"b\"]}"));
    }

    @Test
    void appliesTheDefaults() throws Exception {
        DocumentEvent event = parse(null, "{\"id\": \"d1\", \"text\": \"hello\"}");

        assertThat(event.tenant()).isEqualTo(DocumentEvent.DEFAULT_TENANT).isEqualTo("default");
        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.version()).isNull();
        assertThat(event.title()).isNull();
        assertThat(event.metadata()).isEqualTo("{}");
        assertThat(event.content()).isEqualTo("hello");
    }

    @Test
    void treatsNullFieldsAndAnEmptyTenantAsAbsent() throws Exception {
        DocumentEvent event =
                parse(
                        null,
                        """
                {"tenant": "", "id": "d1", "text": "hello", "version": null, "op": null, "title": null, "metadata": null}
                """);

        assertThat(event.tenant()).isEqualTo("default");
        assertThat(event.op()).isEqualTo(Op.UPSERT);
        assertThat(event.version()).isNull();
        assertThat(event.metadata()).isEqualTo("{}");
    }

    @Test
    void acceptsMetadataAsAStringHoldingAnObject() throws Exception {
        DocumentEvent event =
                parse(
                        null,
                        """
                {"id": "d1", "text": "t", "metadata": "{\\"source\\": \\"crm\\", \\"n\\": 3}"}
                """);

        assertThat(JSON.readTree(event.metadata()))
                .isEqualTo(JSON.readTree("{\"source\":\"crm\",\"n\":3}"));
    }

    @Test
    void acceptsANumericId() throws Exception {
        DocumentEvent event =
                parse(null, "{\"tenant\": \"t\", \"id\": 12345678901, \"text\": \"x\"}");

        assertThat(event.id()).isEqualTo("12345678901");
        assertThat(event.key()).isEqualTo("t/12345678901");
    }

    @Test
    void acceptsADeleteWithoutText() throws Exception {
        DocumentEvent event =
                parse(
                        null,
                        "{\"tenant\": \"t\", \"id\": \"d\", \"op\": \"delete\", \"version\": 3}");

        assertThat(event.op()).isEqualTo(Op.DELETE);
        assertThat(event.version()).isEqualTo(3L);
        assertThat(event.text()).isNull();
    }

    @Test
    void readsOpsCaseInsensitively() throws Exception {
        assertThat(parse(null, "{\"id\": \"d\", \"op\": \"DELETE\"}").op()).isEqualTo(Op.DELETE);
        assertThat(parse(null, "{\"id\": \"d\", \"op\": \"Upsert\", \"text\": \"x\"}").op())
                .isEqualTo(Op.UPSERT);
    }

    @Test
    void acceptsVersionZeroAndTheLargestLong() throws Exception {
        assertThat(parse(null, "{\"id\": \"d\", \"text\": \"x\", \"version\": 0}").version())
                .isZero();
        assertThat(
                        parse(
                                        null,
                                        "{\"id\": \"d\", \"text\": \"x\", \"version\": "
                                                + Long.MAX_VALUE
                                                + "}")
                                .version())
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void keepsNonAsciiTextIntact() throws Exception {
        DocumentEvent event = parse(null, "{\"id\": \"d\", \"text\": \"Café Münster — 東京 👋\"}");

        assertThat(event.text()).isEqualTo("Café Münster — 東京 👋");
    }

    @Test
    void aValueOfExactlyTheLimitIsAccepted() throws Exception {
        String prefix = "{\"id\": \"d\", \"text\": \"";
        String suffix = "\"}";
        String value = prefix + "x".repeat(MAX_BYTES - prefix.length() - suffix.length()) + suffix;
        assertThat(value.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_BYTES);

        assertThat(parse(null, value).text())
                .hasSize(MAX_BYTES - prefix.length() - suffix.length());
    }

    // ---------------------------------------------------------------- tombstones

    @Test
    void aTombstoneWithKeyTenantSlashIdDeletesThatDocument() throws Exception {
        DocumentEvent event = parser.parse(bytes("acme/doc-42"), null);

        assertThat(event.tenant()).isEqualTo("acme");
        assertThat(event.id()).isEqualTo("doc-42");
        assertThat(event.op()).isEqualTo(Op.DELETE);
        assertThat(event.version()).isNull();
        assertThat(event.metadata()).isEqualTo("{}");
    }

    @Test
    void aTombstoneWithABareIdKeyDeletesInTheDefaultTenant() throws Exception {
        DocumentEvent event = parser.parse(bytes("doc-42"), null);

        assertThat(event.tenant()).isEqualTo("default");
        assertThat(event.id()).isEqualTo("doc-42");
        assertThat(event.op()).isEqualTo(Op.DELETE);
    }

    @Test
    void aTombstoneKeySplitsAtTheFirstSlashOnly() throws Exception {
        DocumentEvent event = parser.parse(bytes("acme/folder/file.md"), null);

        assertThat(event.tenant()).isEqualTo("acme");
        assertThat(event.id()).isEqualTo("folder/file.md");
    }

    @Test
    void aTombstoneWithoutAKeyIsBad() {
        assertThat(reasonOf(null, null)).isEqualTo(Reason.MISSING_KEY);
        assertThat(reasonOf(new byte[0], null)).isEqualTo(Reason.MISSING_KEY);
    }

    @Test
    void aTombstoneWhoseKeyNamesNoDocumentIsBad() {
        assertThat(reasonOf(bytes("acme/"), null)).isEqualTo(Reason.MISSING_ID);
    }

    @Test
    void aTombstoneWithAKeyThatIsNotUtf8IsBad() {
        assertThat(reasonOf(new byte[] {'a', '/', (byte) 0xC3, (byte) 0x28}, null))
                .isEqualTo(Reason.INVALID_UTF8);
    }

    // ---------------------------------------------------------------- bad input

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            textBlock =
                    """
            # what                          | value                                                        | reason
            truncated JSON                  | {"id": "d", "text": "x"                                      | MALFORMED_JSON
            not JSON at all                 | hello world                                                  | MALFORMED_JSON
            empty value                     | ``                                                           | MALFORMED_JSON
            only whitespace                 | `   `                                                        | MALFORMED_JSON
            a JSON array                    | [{"id": "d", "text": "x"}]                                   | NOT_AN_OBJECT
            a JSON string                   | "doc"                                                        | NOT_AN_OBJECT
            JSON null                       | null                                                         | NOT_AN_OBJECT
            missing id                      | {"text": "x"}                                                | MISSING_ID
            null id                         | {"id": null, "text": "x"}                                    | MISSING_ID
            empty id                        | {"id": "", "text": "x"}                                      | MISSING_ID
            fractional id                   | {"id": 1.5, "text": "x"}                                     | WRONG_TYPE
            object id                       | {"id": {"k": 1}, "text": "x"}                                | WRONG_TYPE
            missing text                    | {"id": "d"}                                                  | EMPTY_TEXT
            empty text                      | {"id": "d", "text": ""}                                      | EMPTY_TEXT
            blank text                      | {"id": "d", "text": "  \\n\\t "}                             | EMPTY_TEXT
            title but no text               | {"id": "d", "title": "T"}                                    | EMPTY_TEXT
            unknown op                      | {"id": "d", "text": "x", "op": "merge"}                      | UNKNOWN_OP
            tenant a number                 | {"tenant": 7, "id": "d", "text": "x"}                        | WRONG_TYPE
            text a number                   | {"id": "d", "text": 42}                                      | WRONG_TYPE
            title an object                 | {"id": "d", "text": "x", "title": {}}                        | WRONG_TYPE
            op a number                     | {"id": "d", "text": "x", "op": 1}                            | WRONG_TYPE
            version a string                | {"id": "d", "text": "x", "version": "7"}                     | WRONG_TYPE
            version negative                | {"id": "d", "text": "x", "version": -1}                      | WRONG_TYPE
            version fractional              | {"id": "d", "text": "x", "version": 1.5}                     | WRONG_TYPE
            version beyond a long           | {"id": "d", "text": "x", "version": 99999999999999999999}    | WRONG_TYPE
            version a boolean               | {"id": "d", "text": "x", "version": true}                    | WRONG_TYPE
            metadata an array               | {"id": "d", "text": "x", "metadata": [1, 2]}                 | WRONG_TYPE
            metadata a number               | {"id": "d", "text": "x", "metadata": 3}                      | WRONG_TYPE
            metadata a string of an array   | {"id": "d", "text": "x", "metadata": "[1, 2]"}               | WRONG_TYPE
            metadata a string, not JSON     | {"id": "d", "text": "x", "metadata": "{oops"}                | MALFORMED_JSON
            """)
    void rejectsBadInputWithItsReason(String what, String value, Reason reason) {
        BadInputException e =
                catchThrowableOfType(
                        BadInputException.class, () -> parser.parse(bytes("k"), bytes(value)));

        assertThat(e).as(what).isNotNull();
        assertThat(e.reason()).as(what).isEqualTo(reason);
        assertThat(e.getMessage()).as("a detail for the dead letter").isNotBlank();
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] value =
                "{\"id\": \"d\", \"text\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);

        assertThat(reasonOf(null, value)).isEqualTo(Reason.INVALID_UTF8);
        // a lone continuation byte, and a truncated multi-byte sequence at the end
        assertThat(reasonOf(null, new byte[] {'{', (byte) 0x80, '}'}))
                .isEqualTo(Reason.INVALID_UTF8);
        assertThat(reasonOf(null, new byte[] {'"', (byte) 0xE6, (byte) 0x9D}))
                .isEqualTo(Reason.INVALID_UTF8);
    }

    @Test
    void rejectsAValueOverTheSizeLimit() {
        String value = "{\"id\": \"d\", \"text\": \"" + "x".repeat(MAX_BYTES) + "\"}";

        BadInputException e =
                catchThrowableOfType(
                        BadInputException.class, () -> parser.parse(bytes("k"), bytes(value)));

        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage())
                .contains(String.valueOf(value.length()))
                .contains(String.valueOf(MAX_BYTES));
    }

    @Test
    void theSizeLimitCountsBytesNotCharacters() {
        // 400 characters of 3 bytes each: 1,200 bytes, over the 1,024-byte limit
        String value = "{\"id\": \"d\", \"text\": \"" + "東".repeat(400) + "\"}";
        assertThat(value.length()).isLessThan(MAX_BYTES);

        assertThat(reasonOf(null, bytes(value))).isEqualTo(Reason.TOO_LARGE);
    }

    @Test
    void rejectsTrailingDataAfterTheObject() {
        // Two events glued into one record (or an object followed by garbage) is malformed JSON;
        // reading only the first object would drop the rest silently.
        assertThat(
                        reasonOf(
                                null,
                                bytes(
                                        "{\"id\": \"a\", \"text\": \"x\"} {\"id\": \"b\", \"text\": \"y\"}")))
                .isEqualTo(Reason.MALFORMED_JSON);
        assertThat(reasonOf(null, bytes("{\"id\": \"a\", \"text\": \"x\"} trailing")))
                .isEqualTo(Reason.MALFORMED_JSON);
    }

    @Test
    void theBadInputMessageNamesTheField() {
        assertThatThrownBy(
                        () -> parse(null, "{\"id\": \"d\", \"text\": \"x\", \"version\": \"7\"}"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("version");
        assertThatThrownBy(() -> parse(null, "{\"tenant\": 7, \"id\": \"d\", \"text\": \"x\"}"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("tenant");
        assertThatThrownBy(() -> parse(null, "{\"id\": \"d\", \"text\": \"x\", \"op\": \"merge\"}"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("merge");
    }

    // ---------------------------------------------------------------- helpers

    private DocumentEvent parse(String key, String value) throws BadInputException {
        return parser.parse(key == null ? null : bytes(key), bytes(value));
    }

    private Reason reasonOf(byte[] key, byte[] value) {
        BadInputException e =
                catchThrowableOfType(BadInputException.class, () -> parser.parse(key, value));
        assertThat(e)
                .as(
                        "parsing key %s value %s must fail",
                        key == null ? null : new String(key, StandardCharsets.UTF_8),
                        value == null ? null : new String(value, StandardCharsets.UTF_8))
                .isNotNull();
        return e.reason();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
