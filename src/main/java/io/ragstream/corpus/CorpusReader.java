package io.ragstream.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reads documents to publish: JSONL in the document-event format, BEIR {@code corpus.jsonl} ({@code
 * _id}, {@code title}, {@code text}), either gzipped, and folders of text files (one document per
 * file, its path as id).
 */
public final class CorpusReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String tenant;

    public CorpusReader(String tenant) {
        this.tenant = tenant;
    }

    public List<CorpusDocument> read(List<Path> paths) throws IOException {
        List<CorpusDocument> docs = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.walk(path)) {
                    for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                        readFile(file, path.relativize(file).toString(), docs);
                    }
                }
            } else if (Files.isRegularFile(path)) {
                readFile(path, path.getFileName().toString(), docs);
            } else {
                throw new IOException(path + " is neither a file nor a folder");
            }
        }
        return docs;
    }

    private void readFile(Path file, String id, List<CorpusDocument> docs) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")) {
            readJsonl(file, docs);
        } else if (!name.startsWith(".")) {
            String text = withoutByteOrderMark(Files.readString(file, StandardCharsets.UTF_8));
            if (!text.isBlank()) {
                docs.add(new CorpusDocument(tenant, id, titleOf(name, text), text, "{}"));
            }
        }
    }

    private void readJsonl(Path file, List<CorpusDocument> docs) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader lines =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            while ((line = lines.readLine()) != null) {
                line = lineNo == 0 ? withoutByteOrderMark(line) : line;
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                JsonNode id = node.has("_id") ? node.get("_id") : node.get("id");
                if (id == null || !node.hasNonNull("text")) {
                    throw new IOException(
                            file + ":" + lineNo + ": a line needs 'id' (or BEIR '_id') and 'text'");
                }
                JsonNode metadata = node.get("metadata");
                docs.add(
                        new CorpusDocument(
                                node.hasNonNull("tenant") ? node.get("tenant").asText() : tenant,
                                id.asText(),
                                node.hasNonNull("title") ? node.get("title").asText() : null,
                                node.get("text").asText(),
                                metadata != null && metadata.isObject()
                                        ? metadata.toString()
                                        : "{}"));
            }
        }
    }

    /** The text without the byte order mark Windows tools write at a file's start. */
    private static String withoutByteOrderMark(String text) {
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** A Markdown file's first heading, else the file name. */
    private static String titleOf(String fileName, String text) {
        for (String line : text.split("\n", 50)) {
            if (line.startsWith("#")) {
                return line.replaceFirst("^#+\\s*", "").strip();
            }
        }
        return fileName;
    }

    /** One document per {@code ## } section of a Markdown file, titled by its heading. */
    public List<CorpusDocument> markdownSections(Path file) throws IOException {
        List<CorpusDocument> docs = new ArrayList<>();
        String title = null;
        StringBuilder body = new StringBuilder();
        for (String line :
                withoutByteOrderMark(Files.readString(file, StandardCharsets.UTF_8))
                        .lines()
                        .toList()) {
            if (line.startsWith("## ")) {
                addSection(file, title, body, docs);
                title = line.substring(3).strip();
                body.setLength(0);
            } else if (title != null) {
                body.append(line).append('\n');
            }
        }
        addSection(file, title, body, docs);
        return docs;
    }

    private void addSection(
            Path file, String title, StringBuilder body, List<CorpusDocument> docs) {
        if (title != null && !body.toString().isBlank()) {
            String slug =
                    title.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
            docs.add(
                    new CorpusDocument(
                            tenant,
                            file.getFileName() + "#" + slug,
                            title,
                            body.toString().strip(),
                            "{}"));
        }
    }
}
