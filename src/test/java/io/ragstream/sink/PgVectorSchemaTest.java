package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.quantize.Quantization;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the job reads sql/schema.sql the way psql does, and the statements it builds per mode. */
class PgVectorSchemaTest {

    @Test
    void variablesAreFilledInAsPsqlDoesOutsideLiteralsAndCasts() {
        PgVectorSchema.DdlStatement statement =
                new PgVectorSchema.DdlStatement(
                        "SELECT :'mode' = 'a::b :mode', x::int, :dims FROM :\"table\"", false);
        assertThat(statement.sql(Map.of("mode", "it's", "dims", "384", "table", "t")))
                .isEqualTo("SELECT 'it''s' = 'a::b :mode', x::int, 384 FROM \"t\"");
        assertThatThrownBy(() -> statement.sql(Map.of("mode", "x")))
                .hasMessageContaining(":dims, which has no value");
    }

    @Test
    void schemaSqlHasOneGsetThatPicksTheVectorColumnsBeforeTheChunksTable() {
        List<PgVectorSchema.DdlStatement> statements = PgVectorSchema.ddlStatements();
        assertThat(statements).extracting(PgVectorSchema.DdlStatement::gset).containsOnlyOnce(true);
        int gset =
                statements.stream().map(PgVectorSchema.DdlStatement::gset).toList().indexOf(true);
        assertThat(statements.get(gset).template())
                .contains("AS vector_columns")
                .contains("AS index_key");
        assertThat(statements.get(gset + 1).template())
                .contains("CREATE TABLE")
                .contains(":vector_columns");
        assertThat(statements.get(gset + 2).template()).contains("USING hnsw (:index_key)");
        assertThat(statements).noneMatch(s -> s.template().contains("\\"));
    }

    @Test
    void theFullTextColumnIsMadeWithTheTableAddedToOlderOnesAndIndexedAfterIt() {
        List<String> sql =
                PgVectorSchema.ddlStatements().stream()
                        .map(PgVectorSchema.DdlStatement::template)
                        .toList();
        int table = indexOf(sql, "CREATE TABLE IF NOT EXISTS :\"chunks_table\"");
        int column = indexOf(sql, "ALTER TABLE :\"chunks_table\" ADD COLUMN IF NOT EXISTS");
        int index = indexOf(sql, "CREATE INDEX IF NOT EXISTS :\"chunks_text_index\"");
        assertThat(sql.get(table))
                .contains(
                        "content_tsv    tsvector    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED");
        assertThat(sql.get(column))
                .contains(
                        "content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED");
        assertThat(sql.get(index)).contains("USING gin (tenant, content_tsv)");
        assertThat(table).isLessThan(column);
        assertThat(column).isLessThan(index);
        assertThat(index)
                .as("the index on the words alone is dropped once its successor is built")
                .isLessThan(indexOf(sql, "DROP INDEX IF EXISTS :\"chunks_old_text_index\""));
        // the job tells whether an index or a column is needed from these forms alone
        assertThat(sql)
                .filteredOn(s -> s.strip().startsWith("CREATE INDEX"))
                .allMatch(s -> s.strip().startsWith("CREATE INDEX IF NOT EXISTS :\""));
        assertThat(sql)
                .filteredOn(s -> s.strip().startsWith("ALTER TABLE"))
                .allMatch(
                        s ->
                                s.strip()
                                        .matches(
                                                "(?s)ALTER TABLE :\"\\w+\" ADD COLUMN IF NOT EXISTS\\s+\\w+ .*"));
    }

    @Test
    void theBm25TermsColumnFollowsItsFunctionIsAddedToOlderTablesAndIndexedAfterIt() {
        List<String> sql =
                PgVectorSchema.ddlStatements().stream()
                        .map(PgVectorSchema.DdlStatement::template)
                        .toList();
        int function = indexOf(sql, "CREATE OR REPLACE FUNCTION ragstream_bm25_terms");
        int table = indexOf(sql, "CREATE TABLE IF NOT EXISTS :\"chunks_table\"");
        int column =
                indexOf(
                        sql,
                        "ALTER TABLE :\"chunks_table\" ADD COLUMN IF NOT EXISTS\n    content_terms");
        int index = indexOf(sql, "CREATE INDEX IF NOT EXISTS :\"chunks_terms_index\"");
        String generated = "GENERATED ALWAYS AS (ragstream_bm25_terms(content)) STORED";
        assertThat(sql.get(function)).contains("IMMUTABLE").endsWith("$$");
        assertThat(sql.get(table)).contains(generated);
        assertThat(sql.get(column)).contains(generated);
        assertThat(sql.get(index)).contains("USING hnsw (content_terms sparsevec_ip_ops)");
        assertThat(List.of(function, table, column, index)).isSorted();
    }

    private static int indexOf(List<String> statements, String start) {
        for (int i = 0; i < statements.size(); i++) {
            if (statements.get(i).strip().startsWith(start)) {
                return i;
            }
        }
        throw new AssertionError("no statement starts with " + start);
    }

    @Test
    void anInt8UpsertWritesAndUpdatesItsFourVectorColumns() {
        String sql = new PgVectorSchema("d", "c", Quantization.INT8, 384).upsertChunk();
        assertThat(sql)
                .contains(
                        "embedding, embedding_scale, embedding_offset, embedding_bits, updated_at")
                .contains("?::jsonb, ?, ?, ?, ?, ?, clock_timestamp())")
                .contains("embedding_bits = EXCLUDED.embedding_bits")
                .contains("WHERE EXCLUDED.version >= c.version");
        assertThat(new PgVectorSchema("d", "c", Quantization.FLOAT16, 384).upsertChunk())
                .contains("model, embedding, updated_at")
                .contains("?::jsonb, ?, ?::real[]::halfvec, clock_timestamp())");
    }

    @Test
    void tableNamesMustBePlainIdentifiers() {
        assertThatThrownBy(
                        () ->
                                new PgVectorSchema(
                                        "docs",
                                        "chunks\"; DROP TABLE x; --",
                                        Quantization.INT8,
                                        384))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("postgres.chunks-table");
    }
}
