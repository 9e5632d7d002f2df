package io.ragstream.search;

import io.ragstream.sink.PgVectorSchema;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The text of the few chunks a search shows. A ranking finds chunks without their text: most
 * candidates are dropped, and their text would be most of the bytes read.
 */
final class ChunkContents {
    private final String sql;

    ChunkContents(PgVectorSchema schema) {
        sql =
                "SELECT w.doc_id, w.chunk_no, c.content FROM unnest(?::text[], ?::int[]) AS w(doc_id, chunk_no)"
                        + " JOIN \""
                        + schema.chunksTable()
                        + "\" c ON c.tenant = ? AND c.doc_id = w.doc_id AND c.chunk_no = w.chunk_no";
    }

    /**
     * The text of each chunk, by {@link #key}, read in the transaction of the ranking that found
     * them, so the text is the one that matched, as its last query.
     */
    Map<String, String> read(
            SearchTransaction transaction,
            String tenant,
            List<String> docIds,
            List<Integer> chunkNos)
            throws SQLException {
        Map<String, String> contents = new HashMap<>();
        transaction.runLast(
                new SearchTransaction.Query(
                        sql,
                        0,
                        (ps, first) -> {
                            ps.setObject(first, docIds.toArray(String[]::new));
                            ps.setObject(
                                    first + 1,
                                    chunkNos.stream().mapToInt(Integer::intValue).toArray());
                            ps.setString(first + 2, tenant);
                            return first + 3;
                        },
                        rs -> {
                            while (rs.next()) {
                                contents.put(key(rs.getString(1), rs.getInt(2)), rs.getString(3));
                            }
                        }));
        return contents;
    }

    static String key(String docId, int chunkNo) {
        return docId + '\0' + chunkNo;
    }
}
