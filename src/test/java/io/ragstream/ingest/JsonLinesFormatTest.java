package io.ragstream.ingest;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.local.LocalDataInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLinesFormatTest {
    @TempDir Path dir;

    @Test
    void aLineIsARecordNumberedByItsLineAndBlankLinesAreSkipped() throws Exception {
        List<KafkaRecord> records = read("{\"id\": \"a\"}\r\n\n  \n{\"id\": \"b\"}");

        assertThat(records).extracting(KafkaRecord::offset).containsExactly(1L, 4L);
        assertThat(records)
                .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("{\"id\": \"a\"}", "{\"id\": \"b\"}");
        assertThat(records).extracting(KafkaRecord::topic).containsOnly(JsonLinesFormat.TOPIC);
    }

    @Test
    void theByteOrderMarkAtTheFilesStartIsNoPartOfItsFirstLine() throws Exception {
        List<KafkaRecord> records = read("\uFEFF{\"id\": \"a\"}\n\uFEFF{\"id\": \"b\"}\n");

        assertThat(records)
                .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .as("a mark inside the file is the line's own, and the parser's to refuse")
                .containsExactly("{\"id\": \"a\"}", "\uFEFF{\"id\": \"b\"}");
    }

    private List<KafkaRecord> read(String content) throws Exception {
        Path file = dir.resolve("docs.jsonl");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        List<KafkaRecord> records = new ArrayList<>();
        try (StreamFormat.Reader<KafkaRecord> reader =
                new JsonLinesFormat()
                        .createReader(
                                new Configuration(), new LocalDataInputStream(file.toFile()))) {
            for (KafkaRecord r = reader.read(); r != null; r = reader.read()) {
                records.add(r);
            }
        }
        return records;
    }
}
