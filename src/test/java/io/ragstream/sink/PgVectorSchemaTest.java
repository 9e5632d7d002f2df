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
                .contains("?::jsonb, ?, ?, clock_timestamp())");
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
