package io.ragstream.bench;

import io.ragstream.chunk.Chunker;
import io.ragstream.chunk.DocumentChunker;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.Vectors;
import io.ragstream.job.RagstreamJob;
import io.ragstream.quantize.Quantization;
import io.ragstream.search.SearchHit;
import io.ragstream.search.SearchOptions;
import io.ragstream.search.Searcher;
import io.ragstream.sink.PgVectorSinkOptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Each quantization on the same SciFact chunks and vectors: the bytes a row takes (its vector
 * columns plus its share of the HNSW index, and the whole table with all its indexes) and recall@10
 * of {@link Searcher} against exact float32 search done here, for the SciFact test queries. A
 * document's text is title + " " + text (as MTEB has it), chunked as the job does; a document ranks
 * by its best chunk.
 */
public final class QuantizationBench {
    static final int K = 10;
    private static final String TENANT = "bench";
    private static final int INSERT_BATCH = 256;

    private QuantizationBench() {}

    /** What one mode's table measured. */
    record Result(
            long rows,
            double vectorBytes,
            double indexBytes,
            double totalBytes,
            double recall,
            double millisPerQuery,
            long indexScans) {}

    public static void run(BenchContext context, int documents, Path cacheDir, BenchReport report)
            throws Exception {
        List<CorpusDocument> corpus = context.scifact(documents);
        RagstreamConfig config = context.isolated("quantization");
        List<StoredChunks.Chunk> chunks;
        List<float[]> queries;
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared()) {
            VectorCache cache = new VectorCache(cacheDir, model);
            chunks = chunks(config, corpus, cache);
            queries = cache.embed(testQueries(context.data()));
        }
        List<Set<String>> exact = new ArrayList<>();
        for (float[] query : queries) {
            exact.add(exactTopDocuments(chunks, query, K));
        }
        SearchOptions search = SearchOptions.from(config);
        report.add(
                "quantization",
                "corpus",
                corpus.size()
                        + " SciFact docs, "
                        + chunks.size()
                        + " chunks, "
                        + queries.size()
                        + " test queries; HNSW m "
                        + config.get(RagstreamOptions.HNSW_M)
                        + ", ef_construction "
                        + config.get(RagstreamOptions.HNSW_EF_CONSTRUCTION)
                        + "; search ef_search "
                        + search.efSearch()
                        + ", re-rank "
                        + search.rerankFactor()
                        + " candidates per chunk wanted",
                "");
        Result float32 = null;
        for (Quantization q : Quantization.values()) {
            Result r = measure(context, q, chunks, queries, exact, search);
            float32 = q == Quantization.FLOAT32 ? r : float32;
            String recall =
                    q + ": recall@10 vs exact float32" + (q.reranks() ? " (re-ranked)" : "");
            switch (q) {
                case FLOAT32 ->
                        report.add(
                                "quantization",
                                recall,
                                String.format(Locale.ROOT, "%.3f", r.recall()),
                                "");
                case FLOAT16 -> report.add("quantization", recall, r.recall(), Goal.atLeast(0.99));
                case INT8 -> report.add("quantization", recall, r.recall(), Goal.atLeast(0.98));
                case BINARY -> report.add("quantization", recall, r.recall(), Goal.atLeast(0.95));
            }
            report.add(
                    "quantization",
                    q
                            + ": bytes/row, vector columns + HNSW index ("
                            + BenchReport.format(r.vectorBytes())
                            + " + "
                            + BenchReport.format(r.indexBytes())
                            + ")",
                    r.vectorBytes() + r.indexBytes(),
                    "");
            report.add("quantization", q + ": bytes/row, table + all indexes", r.totalBytes(), "");
            report.add(
                    "quantization",
                    q + ": vector + HNSW bytes / float32's",
                    (r.vectorBytes() + r.indexBytes())
                            / (float32.vectorBytes() + float32.indexBytes()),
                    "");
            report.add(
                    "quantization",
                    q
                            + ": ms per search (mean, a new connection each; HNSW index used by "
                            + r.indexScans()
                            + " of "
                            + queries.size()
                            + ")",
                    r.millisPerQuery(),
                    "");
        }
        report.add(
                "quantization",
                "how bytes are counted",
                "vector columns: avg(pg_column_size) of the columns a "
                        + "vector is stored in; HNSW: pg_relation_size of the index / rows; table + all indexes: "
                        + "pg_total_relation_size (heap, TOAST, primary key, HNSW) / rows",
                "");
    }

    private static Result measure(
            BenchContext context,
            Quantization q,
            List<StoredChunks.Chunk> chunks,
            List<float[]> queries,
            List<Set<String>> exact,
            SearchOptions search)
            throws Exception {
        RagstreamConfig config =
                context.isolated("quantization_" + q, "quantization=" + q.configName());
        PgVectorSinkOptions pg = PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables(); // the job's own DDL, the HNSW index included
        try {
            System.err.printf(
                    "%s: loading %d chunks with the HNSW index present%n", q, chunks.size());
            load(pg, q, TENANT, chunks);
            double recall = 0;
            long scansBefore = indexScans(pg);
            long start = System.nanoTime();
            try (Searcher searcher = new Searcher(pg, search, null)) { // the queries come embedded
                for (int i = 0; i < queries.size(); i++) {
                    Set<String> found = new HashSet<>();
                    for (SearchHit hit : searcher.search(TENANT, queries.get(i), K)) {
                        found.add(hit.docId());
                    }
                    found.retainAll(exact.get(i));
                    recall += (double) found.size() / exact.get(i).size();
                }
            }
            double millis = (System.nanoTime() - start) / 1e6 / queries.size();
            long scans = awaitIndexScans(pg, scansBefore, queries.size());
            return sizes(pg, q, recall / queries.size(), millis, scans);
        } finally {
            BenchTables.drop(pg);
        }
    }

    /**
     * {@code tenant}'s rows at version 0, their vectors bound as the sink binds them in mode {@code
     * q}.
     */
    static void load(
            PgVectorSinkOptions pg, Quantization q, String tenant, List<StoredChunks.Chunk> chunks)
            throws SQLException {
        List<String> columns = q.vectorColumns();
        String sql =
                "INSERT INTO \""
                        + pg.schema().chunksTable()
                        + "\" (tenant, doc_id, chunk_no, version, content,"
                        + " content_sha256, model, "
                        + String.join(", ", columns)
                        + ") VALUES (?, ?, ?, 0, ?, ?, ?, "
                        + q.placeholders()
                        + ")";
        try (Connection c = pg.connect();
                PreparedStatement st = c.prepareStatement(sql)) {
            c.setAutoCommit(false);
            for (int i = 0; i < chunks.size(); i++) {
                StoredChunks.Chunk chunk = chunks.get(i);
                st.setString(1, tenant);
                st.setString(2, chunk.docId());
                st.setInt(3, chunk.chunkNo());
                st.setString(4, chunk.content());
                st.setBytes(5, DocumentChunker.sha256(chunk.content()));
                st.setString(6, pg.model());
                q.bind(st, 7, chunk.vector()); // as the sink binds it
                st.addBatch();
                if ((i + 1) % INSERT_BATCH == 0 || i == chunks.size() - 1) {
                    st.executeBatch();
                    c.commit();
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE \"" + pg.schema().chunksTable() + "\"");
            }
            c.commit();
        }
    }

    private static Result sizes(
            PgVectorSinkOptions pg, Quantization q, double recall, double millis, long scans)
            throws SQLException {
        String table = "\"" + pg.schema().chunksTable() + "\"";
        String vectorBytes =
                String.join(
                        " + ",
                        q.vectorColumns().stream().map(c -> "pg_column_size(" + c + ")").toList());
        String sql =
                "SELECT count(*), avg("
                        + vectorBytes
                        + "), pg_relation_size(?::regclass),"
                        + " pg_total_relation_size(?::regclass) FROM "
                        + table;
        try (Connection c = pg.connect();
                PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, hnswIndex(pg));
            st.setString(2, table);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                long rows = rs.getLong(1);
                return new Result(
                        rows,
                        rs.getDouble(2),
                        (double) rs.getLong(3) / rows,
                        (double) rs.getLong(4) / rows,
                        recall,
                        millis,
                        scans);
            }
        }
    }

    /**
     * Scans of the HNSW index since {@code before}, once the searches' sessions have reported them
     * (each reports when it ends): the planner may prefer a sequential scan, and the report says
     * so.
     */
    private static long awaitIndexScans(PgVectorSinkOptions pg, long before, int expected)
            throws Exception {
        long scans = 0;
        for (int tries = 0; tries < 50 && scans < expected; tries++) {
            Thread.sleep(100);
            scans = indexScans(pg) - before;
        }
        return scans;
    }

    private static long indexScans(PgVectorSinkOptions pg) throws SQLException {
        try (Connection c = pg.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes"
                                        + " WHERE indexrelid = to_regclass(?)")) {
            st.setString(1, hnswIndex(pg));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String hnswIndex(PgVectorSinkOptions pg) {
        return '"' + pg.schema().chunksTable() + "_embedding_hnsw\"";
    }

    /**
     * The corpus chunked as the job chunks it, each chunk with its vector (from the cache when
     * there).
     */
    private static List<StoredChunks.Chunk> chunks(
            RagstreamConfig config, List<CorpusDocument> corpus, VectorCache cache)
            throws Exception {
        List<String[]> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        try (Chunker chunker = RagstreamJob.chunker(config, EmbeddingOptions.from(config))) {
            for (CorpusDocument doc : corpus) {
                List<String> pieces = chunker.split(SciFact.text(doc));
                for (int i = 0; i < pieces.size(); i++) {
                    ids.add(new String[] {doc.id(), Integer.toString(i)});
                    texts.add(pieces.get(i));
                }
            }
        }
        List<float[]> vectors = cache.embed(texts);
        List<StoredChunks.Chunk> chunks = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            chunks.add(
                    new StoredChunks.Chunk(
                            ids.get(i)[0],
                            Integer.parseInt(ids.get(i)[1]),
                            texts.get(i),
                            vectors.get(i)));
        }
        return chunks;
    }

    /** The texts of the queries in qrels/test.tsv, in the order they first appear there. */
    static List<String> testQueries(Path data) throws IOException {
        Set<String> ids = new LinkedHashSet<>();
        List<String> lines =
                Files.readAllLines(data.resolve("qrels/test.tsv"), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) { // a header first
            if (!line.isBlank()) {
                ids.add(line.split("\t")[0].strip());
            }
        }
        Map<String, String> texts = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader in =
                Files.newBufferedReader(data.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    JsonNode node = json.readTree(line);
                    texts.put(node.get("_id").asText(), node.get("text").asText());
                }
            }
        }
        List<String> queries = new ArrayList<>();
        for (String id : ids) {
            String text = texts.get(id);
            if (text == null) {
                throw new IOException("query " + id + " of qrels/test.tsv is not in queries.jsonl");
            }
            queries.add(text);
        }
        return queries;
    }

    /** Exact search: the k documents whose best chunk has the highest float32 cosine similarity. */
    static Set<String> exactTopDocuments(List<StoredChunks.Chunk> chunks, float[] query, int k) {
        Map<String, Double> best = new HashMap<>();
        for (StoredChunks.Chunk chunk : chunks) {
            best.merge(chunk.docId(), Vectors.cosine(query, chunk.vector()), Math::max);
        }
        Set<String> top = new HashSet<>();
        best.entrySet().stream()
                .sorted(
                        Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
                                .thenComparing(Map.Entry.comparingByKey()))
                .limit(k)
                .forEach(e -> top.add(e.getKey()));
        return top;
    }
}
