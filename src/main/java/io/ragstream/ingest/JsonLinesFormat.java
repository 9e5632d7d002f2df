package io.ragstream.ingest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * One record per line of a JSONL file (document events or a BEIR corpus.jsonl; FileSource
 * decompresses .gz itself). Lines stay bytes, so invalid UTF-8 is dead-lettered by the parser like
 * any other bad input; the "offset" of a line is its number in the file. A byte order mark at the
 * file's start (Windows tools write one) marks the file's encoding and is not part of its first
 * line; in a Kafka record's value it stays malformed JSON.
 */
public final class JsonLinesFormat extends SimpleStreamFormat<KafkaRecord> {
    private static final long serialVersionUID = 1L;
    public static final String TOPIC = "backfill";

    @Override
    public StreamFormat.Reader<KafkaRecord> createReader(
            Configuration config, FSDataInputStream stream) {
        InputStream in = new BufferedInputStream(stream, 1 << 16);
        return new StreamFormat.Reader<>() {
            private long lineNo;

            @Override
            public KafkaRecord read() throws IOException {
                while (true) {
                    byte[] line = readLine(in);
                    if (line == null) {
                        return null;
                    }
                    if (lineNo++ == 0) {
                        line = withoutByteOrderMark(line);
                    }
                    if (!isBlank(line)) {
                        return new KafkaRecord(TOPIC, 0, lineNo, 0L, null, line);
                    }
                }
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        byte[] bytes = line.toByteArray();
        int n = bytes.length;
        return n > 0 && bytes[n - 1] == '\r' ? java.util.Arrays.copyOf(bytes, n - 1) : bytes;
    }

    private static byte[] withoutByteOrderMark(byte[] line) {
        boolean bom =
                line.length >= 3
                        && line[0] == (byte) 0xEF
                        && line[1] == (byte) 0xBB
                        && line[2] == (byte) 0xBF;
        return bom ? java.util.Arrays.copyOfRange(line, 3, line.length) : line;
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    @Override
    public TypeInformation<KafkaRecord> getProducedType() {
        return TypeInformation.of(KafkaRecord.class);
    }
}
