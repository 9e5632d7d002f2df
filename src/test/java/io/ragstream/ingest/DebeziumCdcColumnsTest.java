package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which columns of a captured table make up a document: DESIGN.md's defaults and what is refused.
 */
class DebeziumCdcColumnsTest {

    @Test
    void defaultsAreThoseOfTheDesign() {
        CdcColumns columns = CdcColumns.defaults();

        assertThat(columns.idColumn()).isEqualTo("id");
        assertThat(columns.textColumns()).containsExactly("title", "text");
        assertThat(columns.tenantColumn()).isEqualTo("tenant");
        assertThat(columns.metadataColumn()).isEqualTo("metadata");
    }

    @Test
    void tenantAndMetadataColumnsMayBeLeftOut() {
        CdcColumns columns = new CdcColumns("pk", List.of("body"), null, null);

        assertThat(columns.tenantColumn()).isNull();
        assertThat(columns.metadataColumn()).isNull();
    }

    @Test
    void keepsItsOwnCopyOfTheTextColumns() {
        List<String> text = new ArrayList<>(List.of("subject", "body"));
        CdcColumns columns = new CdcColumns("id", text, "org", "attrs");
        text.add("summary");

        assertThat(columns.textColumns()).containsExactly("subject", "body");
        assertThatThrownBy(() -> columns.textColumns().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesColumnsThatCannotWork() {
        assertThatThrownBy(() -> new CdcColumns(null, List.of("text"), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idColumn");
        assertThatThrownBy(() -> new CdcColumns(" ", List.of("text"), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idColumn");
        assertThatThrownBy(() -> new CdcColumns("id", List.of(), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("textColumns");
        assertThatThrownBy(() -> new CdcColumns("id", null, null, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("textColumns");
        assertThatThrownBy(() -> new CdcColumns("id", Arrays.asList("text", null), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("textColumns");
        assertThatThrownBy(() -> new CdcColumns("id", List.of("text", ""), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("textColumns");
        assertThatThrownBy(() -> new CdcColumns("id", List.of("body", "body"), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> new CdcColumns("id", List.of("text"), "", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tenantColumn");
        assertThatThrownBy(() -> new CdcColumns("id", List.of("text"), null, " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("metadataColumn");
    }

    @Test
    void aConfigurationErrorNamesTheSetting() {
        assertThatThrownBy(() -> CdcColumns.from(RagstreamConfig.of(Map.of("cdc.id-column", ""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cdc.id-column'")
                .hasMessageContaining("a column name must not be empty");
        assertThatThrownBy(
                        () ->
                                CdcColumns.from(
                                        RagstreamConfig.of(
                                                Map.of("cdc.text-columns", "body;body"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cdc.text-columns'")
                .hasMessageContaining("named twice");
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        CdcColumns columns =
                new CdcColumns(
                        "doc_key", List.of("subject", "body", "summary"), "org", "attributes");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(columns);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(columns);
        }
    }
}
