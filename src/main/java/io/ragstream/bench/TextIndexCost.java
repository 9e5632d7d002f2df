package io.ragstream.bench;

import io.ragstream.quantize.Quantization;
import io.ragstream.sink.PgVectorSchema;
import io.ragstream.sink.PgVectorSinkOptions;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;

/**
 * What the full-text representation of a chunk (the {@code content_tsv} column and its GIN index,
 * the {@code content_terms} BM25 sparse vector and its HNSW index) costs per row, beside what its
 * vector costs, on real chunks: the bytes a row and its index entries take in the indexed table,
 * and the time to write a row into a table with one or the other, measured by copying the same rows
 * into temporary tables with the same definitions (a plain one for the base). The GIN index's
 * pending list is flushed inside the timing, so its deferred work is counted.
 */
final class TextIndexCost {
    /**
     * Bytes per row and microseconds per row written; vectorMicros is NaN where the stored vector
     * cannot be copied (int8).
     */
    record Cost(
            long rows,
            double tsvBytes,
            double ginBytes,
            double termsBytes,
            double termsHnswBytes,
            double vectorBytes,
            double hnswBytes,
            int sampled,
            double plainMicros,
            double textMicros,
            double vectorMicros) {}

    private TextIndexCost() {}

    static Cost measure(PgVectorSinkOptions pg, int sample) throws SQLException {
        PgVectorSchema schema = pg.schema();
        String table = "\"" + schema.chunksTable() + "\"";
        Quantization q = schema.quantization();
        String vectorBytes =
                q.vectorColumns().stream()
                        .map(c -> "pg_column_size(" + c + ")")
                        .collect(Collectors.joining(" + "));
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            long rows;
            double tsv;
            double terms;
            double vector;
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT count(*), avg(pg_column_size(content_tsv)),"
                                    + " avg(pg_column_size(content_terms)), avg("
                                    + vectorBytes
                                    + ") FROM "
                                    + table)) {
                rs.next();
                rows = rs.getLong(1);
                tsv = rs.getDouble(2);
                terms = rs.getDouble(3);
                vector = rs.getDouble(4);
            }
            double gin = relationSize(st, schema.chunksTextIndex()) / (double) rows;
            double hnsw = relationSize(st, schema.chunksIndex()) / (double) rows;
            double termsHnsw = relationSize(st, schema.chunksTermsIndex()) / (double) rows;

            String columns =
                    "tenant text, doc_id text, chunk_no integer, content text, PRIMARY KEY (tenant, doc_id, chunk_no)";
            String rowsOf = " FROM " + table + " ORDER BY tenant, doc_id, chunk_no LIMIT " + sample;
            st.execute("CREATE TEMP TABLE cost_plain (" + columns + ") ON COMMIT DROP");
            st.execute(
                    "CREATE TEMP TABLE cost_text ("
                            + columns
                            + ", content_tsv tsvector GENERATED ALWAYS AS"
                            + " (to_tsvector('english', content)) STORED,"
                            + " content_terms sparsevec(1000000000) GENERATED ALWAYS AS"
                            + " (ragstream_bm25_terms(content)) STORED) ON COMMIT DROP");
            st.execute("CREATE INDEX cost_text_gin ON cost_text USING gin (content_tsv)");
            st.execute(
                    "CREATE INDEX cost_text_hnsw ON cost_text USING hnsw (content_terms sparsevec_ip_ops)"
                            + " WITH (m = 8, ef_construction = 32)"); // as sql/schema.sql
            st.execute(
                    "CREATE TEMP TABLE cost_vector ("
                            + columns
                            + ", embedding halfvec("
                            + schema.dimension()
                            + ")) ON COMMIT DROP");
            st.execute(
                    "CREATE INDEX cost_vector_hnsw ON cost_vector USING hnsw (embedding halfvec_cosine_ops)"
                            + " WITH (m = "
                            + pg.hnswM()
                            + ", ef_construction = "
                            + pg.hnswEfConstruction()
                            + ")");
            String plain = "SELECT tenant, doc_id, chunk_no, content" + rowsOf;
            st.executeQuery("SELECT count(*) FROM (SELECT content, embedding" + rowsOf + ") s")
                    .close(); // warm the cache for all three
            double plainMicros = micros(st, "INSERT INTO cost_plain " + plain, null, sample);
            double textMicros =
                    micros(
                            st,
                            "INSERT INTO cost_text (tenant, doc_id, chunk_no, content) " + plain,
                            "SELECT gin_clean_pending_list('cost_text_gin')",
                            sample);
            double vectorMicros =
                    q == Quantization.INT8
                            ? Double.NaN
                            : micros(
                                    st,
                                    "INSERT INTO cost_vector"
                                            + " SELECT tenant, doc_id, chunk_no, content, embedding::halfvec"
                                            + rowsOf,
                                    null,
                                    sample);
            c.rollback();
            return new Cost(
                    rows,
                    tsv,
                    gin,
                    terms,
                    termsHnsw,
                    vector,
                    hnsw,
                    sample,
                    plainMicros,
                    textMicros,
                    vectorMicros);
        }
    }

    private static long relationSize(Statement st, String relation) throws SQLException {
        try (ResultSet rs =
                st.executeQuery(
                        "SELECT coalesce(pg_relation_size(to_regclass('\""
                                + relation
                                + "\"')), 0)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double micros(Statement st, String insert, String after, int rows)
            throws SQLException {
        long start = System.nanoTime();
        st.execute(insert);
        if (after != null) {
            st.executeQuery(after).close();
        }
        return (System.nanoTime() - start) / 1e3 / rows;
    }
}
