package io.ragstream.bench;

import io.ragstream.corpus.CorpusDocument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * BEIR SciFact's test split, read where it lies: the queries of {@code qrels/test.tsv} (300) with
 * their text, and the documents relevant to each. Only a query's {@code text} is kept: its {@code
 * metadata} holds SciFact's evidence labels.
 *
 * @param documents lines (documents) of the corpus
 * @param queries query id to text, in the order of the qrels
 * @param relevant query id to the ids of its relevant documents
 */
public record SciFact(
        Path corpus,
        long documents,
        Map<String, String> queries,
        Map<String, Set<String>> relevant) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static SciFact read(Path dir) throws IOException {
        Path corpus = dir.resolve("corpus.jsonl.gz");
        Path qrels = dir.resolve("qrels/test.tsv");
        Path queryFile = dir.resolve("queries.jsonl");
        for (Path p : new Path[] {corpus, qrels, queryFile}) {
            if (!Files.isRegularFile(p)) {
                throw new IOException(
                        "no SciFact "
                                + dir.relativize(p)
                                + " in "
                                + dir
                                + " (give --data DIR: a BEIR scifact folder)");
            }
        }
        Map<String, Set<String>> relevant = readQrels(qrels);
        Map<String, String> texts = new LinkedHashMap<>();
        try (BufferedReader lines = Files.newBufferedReader(queryFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.isBlank()) {
                    JsonNode query = JSON.readTree(line);
                    texts.put(query.get("_id").asText(), query.get("text").asText());
                }
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        for (String id : relevant.keySet()) {
            String text = texts.get(id);
            if (text == null) {
                throw new IOException(
                        qrels + " names query " + id + ", which " + queryFile + " does not hold");
            }
            queries.put(id, text);
        }
        return new SciFact(corpus, countDocuments(corpus), queries, relevant);
    }

    /** A corpus document's text as BEIR and MTEB embed it: its title and text joined by a space. */
    static String text(CorpusDocument doc) {
        return (doc.title() == null ? "" : doc.title() + " ") + doc.text();
    }

    private static long countDocuments(Path corpus) throws IOException {
        try (BufferedReader lines =
                new BufferedReader(
                        new InputStreamReader(
                                new GZIPInputStream(Files.newInputStream(corpus)),
                                StandardCharsets.UTF_8))) {
            return lines.lines().filter(line -> !line.isBlank()).count();
        }
    }

    /**
     * query-id, corpus-id, score (tab-separated, after a header; BEIR writes CRLF); score 0 is not
     * relevant.
     */
    static Map<String, Set<String>> readQrels(Path qrels) throws IOException {
        Map<String, Set<String>> relevant = new LinkedHashMap<>();
        boolean header = true;
        for (String line : Files.readAllLines(qrels, StandardCharsets.UTF_8)) {
            String[] fields = line.strip().split("\t");
            if (header || line.isBlank()) {
                header = false;
                continue;
            }
            if (fields.length != 3) {
                throw new IOException(
                        qrels
                                + ": expected query-id, corpus-id and score, got '"
                                + line.strip()
                                + "'");
            }
            if (Integer.parseInt(fields[2]) > 0) {
                relevant.computeIfAbsent(fields[0], q -> new LinkedHashSet<>()).add(fields[1]);
            }
        }
        return relevant;
    }
}
