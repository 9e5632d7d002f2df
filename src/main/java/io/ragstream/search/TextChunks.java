package io.ragstream.search;

import io.ragstream.sink.PgVectorSchema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's documents ranked by full-text search of their chunks' {@code content_tsv}
 * (sql/schema.sql), each by its best chunk. The query goes through the same {@code
 * to_tsvector('english', ..)} as the chunks, and its words are OR-ed: a natural-language question
 * rarely has every word in the passage that answers it, so {@code plainto_tsquery}'s AND finds
 * nothing for most of them, and keyword engines (BM25) match any word and let the ranking sort it
 * out. A query of stop words only finds nothing. Every statement is filtered by tenant.
 */
final class TextChunks {
    /**
     * The query's words as an OR tsquery of their lexemes. A lexeme is quoted for tsquery's input
     * (quotes and backslashes doubled) and taken as it is, not normalised again.
     */
    static final String QUERY =
            "(SELECT coalesce(string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''',"
                    + " ' | '), '')::tsquery FROM unnest(to_tsvector('english', ?::text)))";

    private final String sql;

    TextChunks(PgVectorSchema schema) {
        String table = "\"" + schema.chunksTable() + "\"";
        // ts_rank_cd normalised by 1 + log(length): cover density rewards query words close
        // together
        String rank = "ts_rank_cd(c.content_tsv, q.query, 1)";
        sql =
                "SELECT doc_id, chunk_no, content, score FROM ("
                        + "SELECT c.doc_id, c.chunk_no, c.content, "
                        + rank
                        + " AS score,"
                        + " row_number() OVER (PARTITION BY c.doc_id ORDER BY "
                        + rank
                        + " DESC, c.chunk_no) AS nth"
                        + " FROM "
                        + table
                        + " c, "
                        + QUERY
                        + " AS q (query)"
                        + " WHERE c.tenant = ? AND c.content_tsv @@ q.query) ranked"
                        + " WHERE nth = 1 ORDER BY score DESC, doc_id LIMIT ?";
    }

    /** The {@code k} best documents, best first, each as its best chunk with its rank. */
    List<SearchHit> find(Connection connection, String tenant, String query, int k)
            throws SQLException {
        List<SearchHit> hits = new ArrayList<>(k);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, query);
            ps.setString(2, tenant);
            ps.setInt(3, k);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    hits.add(
                            new SearchHit(
                                    rs.getString(1),
                                    rs.getInt(2),
                                    rs.getString(3),
                                    rs.getDouble(4)));
                }
            }
        }
        return hits;
    }
}
