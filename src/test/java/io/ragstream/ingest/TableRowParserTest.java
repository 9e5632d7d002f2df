package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A table row (TableRowExtractor's JSON) as a document, by the cdc.* columns. */
class TableRowParserTest {
    private static final CdcColumns COLUMNS =
            new CdcColumns("id", List.of("title", "body"), "tenant", "metadata");

    private static DocumentEvent parse(String versionColumn, String row) throws Exception {
        return new TableRowParser(COLUMNS, versionColumn, IngestLimits.defaults())
                .parse(null, row.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRowIsAnUpsertOfItsColumnsJoined() throws Exception {
        DocumentEvent event =
                parse(
                        "rev",
                        "{\"id\": -42, \"tenant\": \"acme\", \"title\": \" A title \","
                                + " \"body\": \"The body.\", \"metadata\": \"{\\\"k\\\": 1}\", \"rev\": 7}");
        assertThat(event.tenant()).isEqualTo("acme");
        assertThat(event.id()).isEqualTo("-42");
        assertThat(event.version()).isEqualTo(7L);
        assertThat(event.op()).isEqualTo(DocumentEvent.Op.UPSERT);
        assertThat(event.content()).isEqualTo("A title\n\nThe body.");
        assertThat(event.metadata()).isEqualTo("{\"k\":1}");
    }

    @Test
    void withoutAVersionColumnOrValueTheRowHasNoVersion() throws Exception {
        String row = "{\"id\": 1, \"body\": \"x\", \"rev\": null}";
        assertThat(parse(null, row).version()).isNull();
        assertThat(parse("rev", row).version()).isNull();
        assertThat(parse("rev", row).tenant()).isEqualTo(DocumentEvent.DEFAULT_TENANT);
    }

    @Test
    void aDebeziumPlaceholderInATableIsPlainText() throws Exception {
        DocumentEvent event =
                parse(null, "{\"id\": 1, \"body\": \"__debezium_unavailable_value\"}");
        assertThat(event.op()).isEqualTo(DocumentEvent.Op.UPSERT);
        assertThat(event.content()).isEqualTo("__debezium_unavailable_value");
    }

    @Test
    void badRowsSayWhy() {
        assertThatThrownBy(() -> parse(null, "{\"id\": null, \"body\": \"x\"}"))
                .isInstanceOfSatisfying(
                        BadInputException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_ID))
                .hasMessageContaining("row: 'id' is missing");
        assertThatThrownBy(() -> parse(null, "{\"id\": 3, \"title\": null, \"body\": \" \"}"))
                .isInstanceOfSatisfying(
                        BadInputException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.EMPTY_TEXT));
        assertThatThrownBy(() -> parse("rev", "{\"id\": 3, \"body\": \"x\", \"rev\": \"abc\"}"))
                .isInstanceOfSatisfying(
                        BadInputException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE))
                .hasMessageContaining("version column 'rev'");
        assertThatThrownBy(() -> parse(null, "{\"id\": 3, \"body\": \"x\", \"metadata\": \"[1]\"}"))
                .isInstanceOfSatisfying(
                        BadInputException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE))
                .hasMessageContaining("row: column 'metadata'");
    }
}
