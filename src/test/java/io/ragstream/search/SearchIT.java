package io.ragstream.search;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.SearchMode;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.quantize.Quantization;
import io.ragstream.sink.DirectWriter;
import io.ragstream.sink.PgVectorSchema;
import io.ragstream.sink.PgVectorSinkOptions;
import io.ragstream.testing.JobFixture;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.assertj.core.api.AbstractThrowableAssert;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Search against the real PostgreSQL with pgvector and the real model, over rows the job wrote (a
 * backfill), in every quantization mode and every search mode (vector, text, hybrid): a tenant
 * never sees another tenant's rows whatever it asks, several queries and the two rankings of a
 * hybrid search are fused by reciprocal rank, and an index the configured model cannot search fails
 * with a message that names the problem and the fix.
 */
class SearchIT {
    @RegisterExtension static final JobFixture IT = JobFixture.slots(2);

    /** Every acme document again under tenant globex, with the same texts, plus one of its own. */
    private static final String GLOBEX = "globex";

    private static final String ACME = "acme";
    private static final Map<Quantization, TestServices> INDEXED =
            new EnumMap<>(Quantization.class);
    private static List<String> queries;

    @BeforeAll
    static void indexBothTenants(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("two-tenants.jsonl");
        List<String> lines = new ArrayList<>();
        queries =
                new ArrayList<>(
                        List.of(
                                "the",
                                "zzzz qqqq",
                                "How volcanoes erupt and why the ocean has tides"));
        for (JsonNode doc : TestServices.testCorpus()) {
            lines.add(doc.toString());
            ObjectNode copy =
                    ((ObjectNode) doc.deepCopy())
                            .put("tenant", GLOBEX)
                            .put("id", GLOBEX + "-" + doc.get("id").asText());
            lines.add(copy.toString());
            queries.add(doc.get("title").asText());
        }
        // the same id as an acme document, another text: a leak would show as acme's id with
        // globex's words
        lines.add(
                "{\"tenant\": \"globex\", \"id\": \"tides\", \"title\": \"Quarterly sales of garden furniture\","
                        + " \"text\": \"Sales of garden chairs rose in spring and fell after the summer.\"}");
        queries.add("Quarterly sales of garden furniture");
        Files.write(corpus, lines, StandardCharsets.UTF_8);

        for (Quantization q : Quantization.values()) {
            TestServices services = IT.services("search_" + q);
            IT.backfill(services.config("quantization=" + q.name().toLowerCase()), List.of(corpus));
            INDEXED.put(q, services);
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void findsTheDocumentATitleNames(Quantization q) throws Exception {
        try (Searcher searcher = searcher(INDEXED.get(q).config(quantization(q)))) {
            for (JsonNode doc : TestServices.testCorpus()) {
                List<SearchHit> hits = searcher.search(ACME, doc.get("title").asText(), 3);
                assertThat(hits)
                        .as("search for '%s'", doc.get("title").asText())
                        .first()
                        .extracting(SearchHit::docId)
                        .isEqualTo(doc.get("id").asText());
                assertThat(hits.get(0).score()).isBetween(0.3, 1.0001);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void aTenantNeverSeesAnotherTenantsRowsWhateverItAsks(Quantization q) throws Exception {
        TestServices services = INDEXED.get(q);
        Set<String> acmeRows = rows(services, ACME);
        Set<String> globexRows = rows(services, GLOBEX);
        try (Searcher searcher = searcher(services.config(quantization(q)))) {
            for (String query : queries) {
                // k past what a tenant holds: the filtered scan must hand back all of it, and
                // nothing more
                List<SearchHit> acme = searcher.search(ACME, query, 50);
                assertThat(acme)
                        .as("acme, '%s'", query)
                        .extracting(SearchIT::row)
                        .allMatch(acmeRows::contains);
                assertThat(acme).hasSize(10);
                List<SearchHit> globex =
                        searcher.searchAll(GLOBEX, List.of(query, "garden chairs"), 50);
                assertThat(globex)
                        .as("globex, '%s'", query)
                        .extracting(SearchIT::row)
                        .allMatch(globexRows::contains);
                assertThat(globex).hasSize(11);
            }
            assertThat(searcher.search("initech", "How volcanoes erupt", 10)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void severalQueriesRunAtOnceAndAreFusedByReciprocalRank(Quantization q) throws Exception {
        try (Searcher searcher = searcher(INDEXED.get(q).config(quantization(q)))) {
            List<String> asked =
                    List.of(
                            "How volcanoes erupt",
                            "Baking sourdough bread",
                            "glaciers carving valleys");
            List<List<SearchHit>> alone = new ArrayList<>();
            for (String query : asked) {
                alone.add(searcher.search(ACME, query, 5));
            }
            List<SearchHit> fused = searcher.searchAll(ACME, asked, 5);

            assertThat(fused).isEqualTo(Searcher.fuse(alone, 5));
            assertThat(fused)
                    .extracting(SearchHit::docId)
                    .contains("volcanoes", "sourdough", "glaciers");
            // each query's best document scores at least 1/61, the reciprocal rank of a first place
            assertThat(fused.get(0).score()).isGreaterThanOrEqualTo(1.0 / 61);
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void textAndHybridSearchesFindTheDocumentATitleNames(Quantization q) throws Exception {
        try (Searcher searcher = searcher(INDEXED.get(q).config(quantization(q)))) {
            for (JsonNode doc : TestServices.testCorpus()) {
                String title = doc.get("title").asText();
                for (SearchMode mode : List.of(SearchMode.TEXT, SearchMode.HYBRID)) {
                    assertThat(searcher.search(ACME, title, 3, mode))
                            .as("%s search for '%s'", mode, title)
                            .first()
                            .extracting(SearchHit::docId)
                            .isEqualTo(doc.get("id").asText());
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void inTextAndHybridModesATenantNeverSeesAnotherTenantsRows(Quantization q) throws Exception {
        TestServices services = INDEXED.get(q);
        Set<String> acmeRows = rows(services, ACME);
        Set<String> globexRows = rows(services, GLOBEX);
        try (Searcher searcher = searcher(services.config(quantization(q)))) {
            for (SearchMode mode : List.of(SearchMode.TEXT, SearchMode.HYBRID)) {
                for (String query : queries) {
                    List<SearchHit> acme = searcher.search(ACME, query, 50, mode);
                    assertThat(acme)
                            .as("%s, acme, '%s'", mode, query)
                            .extracting(SearchIT::row)
                            .allMatch(acmeRows::contains);
                    List<SearchHit> globex =
                            searcher.searchAll(GLOBEX, List.of(query, "garden chairs"), 50, mode);
                    assertThat(globex)
                            .as("%s, globex, '%s'", mode, query)
                            .extracting(SearchIT::row)
                            .allMatch(globexRows::contains)
                            .isNotEmpty();
                    if (mode
                            == SearchMode
                                    .HYBRID) { // the vector ranking brings every document of the
                        // tenant
                        assertThat(acme).hasSize(10);
                        assertThat(globex).hasSize(11);
                    }
                }
                // globex's words, asked of acme: found in globex only
                assertThat(searcher.search(ACME, "garden furniture chairs", 10, SearchMode.TEXT))
                        .isEmpty();
                assertThat(searcher.search(GLOBEX, "garden furniture chairs", 10, SearchMode.TEXT))
                        .extracting(SearchHit::docId)
                        .containsExactly("tides");
                assertThat(searcher.search("initech", "How volcanoes erupt", 10, mode)).isEmpty();
            }
            assertThat(searcher.search(ACME, "the", 10, SearchMode.TEXT))
                    .as("stop words only")
                    .isEmpty();
        }
    }

    @Test
    void textScoresAreBm25OverTheTenantsChunksComputedHere() throws Exception {
        TestServices services = INDEXED.get(Quantization.FLOAT16);
        try (Searcher searcher = searcher(services.config(quantization(Quantization.FLOAT16)))) {
            for (String query : queries) {
                Map<String, Double> expected = bm25BestChunkPerDocument(services, ACME, query);
                List<SearchHit> hits = searcher.search(ACME, query, 50, SearchMode.TEXT);
                assertThat(hits).as("'%s'", query).hasSize(expected.size());
                for (SearchHit hit : hits) {
                    assertThat(hit.score())
                            .as("'%s', %s", query, hit.docId())
                            .isCloseTo(expected.get(hit.docId()), within(1e-4)); // float32
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void hybridFusesEachQuerysTwoRankingsByScoreAndSeveralQueriesByRank(Quantization q)
            throws Exception {
        try (Searcher searcher = searcher(INDEXED.get(q).config(quantization(q)))) {
            List<String> asked = List.of("How volcanoes erupt", "sourdough starter yeast");
            List<List<SearchHit>> perQuery = new ArrayList<>();
            for (String query : asked) {
                perQuery.add(
                        Searcher.fuseScores(
                                searcher.search(
                                        ACME, query, Searcher.HYBRID_DEPTH, SearchMode.VECTOR),
                                searcher.search(
                                        ACME, query, Searcher.HYBRID_DEPTH, SearchMode.TEXT),
                                Searcher.HYBRID_VECTOR_WEIGHT,
                                Searcher.HYBRID_DEPTH));
            }
            List<SearchHit> one = searcher.search(ACME, asked.get(0), 3, SearchMode.HYBRID);
            assertThat(one).isEqualTo(perQuery.get(0).subList(0, 3));
            assertThat(one.get(0).docId()).isEqualTo("volcanoes");
            assertThat(one.get(0).score()).as("first in both rankings").isEqualTo(1.0);

            List<SearchHit> fused = searcher.searchAll(ACME, asked, 5, SearchMode.HYBRID);
            assertThat(fused)
                    .as("each query's 5 best documents, fused by rank")
                    .isEqualTo(
                            Searcher.fuse(
                                    perQuery.stream()
                                            .map(r -> r.subList(0, Math.min(5, r.size())))
                                            .toList(),
                                    5));
            assertThat(fused).extracting(SearchHit::docId).contains("volcanoes", "sourdough");
        }
    }

    @Test
    void aTableMadeBeforeFullTextSearchGetsItOnTheNextStartAndTextSearchNeedsNoModel()
            throws Exception {
        TestServices own = ownTables("pretext");
        PgVectorSinkOptions pg = preparedSink(own);
        try (Connection c = TestServices.connect();
                var st = c.createStatement()) {
            st.execute(
                    "ALTER TABLE \""
                            + own.chunksTable
                            + "\" DROP COLUMN content_tsv, DROP COLUMN content_terms"); // and their
            // indexes

        }
        writeOneChunk(
                pg, "glaciers", "Glaciers carve U-shaped valleys as the ice grinds the bedrock.");
        try (Searcher searcher = new Searcher(pg, SearchOptions.defaults(), null)) {
            assertThatThrownBy(() -> searcher.search(ACME, "glaciers", 3, SearchMode.TEXT))
                    .isInstanceOf(SearchException.class)
                    .hasMessageContaining("has no full-text column content_tsv")
                    .hasMessageContaining("Start the job once");
            assertThatThrownBy(() -> searcher.search(ACME, "glaciers", 3, SearchMode.HYBRID))
                    .isInstanceOf(SearchException.class)
                    .hasMessageContaining("needs the embedding model");

            pg.prepareTables(); // the job's start
            pg.prepareTables(); // and the next: nothing left to do
            assertThat(textIndexes(own)).isEqualTo(2);
            assertThat(searcher.search(ACME, "how do glaciers shape valleys", 3, SearchMode.TEXT))
                    .extracting(SearchHit::docId)
                    .containsExactly("glaciers");
        }
    }

    @Test
    void aBackfillBuildsTheTextIndexAfterTheLoadAsItDoesTheVectorIndex() throws Exception {
        TestServices own = ownTables("deferred");
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(own.config(), OnnxMiniLmEmbedder.DIMENSION);
        assertThat(pg.prepareTablesForLoad(1)).isTrue();
        assertThat(textIndexes(own)).isZero();
        assertThat(
                        TestServices.rows(
                                "SELECT count(*) FROM pg_attribute WHERE attrelid = '"
                                        + own.chunksTable
                                        + "'::regclass AND attname IN ('content_tsv', 'content_terms')"))
                .containsExactly("2");
        pg.prepareTables();
        assertThat(textIndexes(own)).isEqualTo(2);
    }

    @Test
    void aTableWithTheGinIndexOfTheWordsAloneGetsTheOneThatHoldsTheTenantInstead()
            throws Exception {
        TestServices own = ownTables("oldgin");
        PgVectorSinkOptions pg = preparedSink(own);
        String old = own.chunksTable + "_content_gin";
        try (Connection c = TestServices.connect();
                var st = c.createStatement()) {
            st.execute("DROP INDEX \"" + pg.schema().chunksTextIndex() + "\"");
            st.execute(
                    "CREATE INDEX \""
                            + old
                            + "\" ON \""
                            + own.chunksTable
                            + "\" USING gin (content_tsv)");
        }
        assertThat(textIndexes(own)).as("as an older ragstream left it").isEqualTo(1);

        // a transaction that holds the table (as one an exactly-once sink left prepared does,
        // which only the job can commit): the start goes on without the index change
        try (Connection holder = TestServices.connect();
                var st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE \"" + own.chunksTable + "\" IN ROW EXCLUSIVE MODE");
            long start = System.nanoTime();
            pg.prepareTables(); // the job's start
            assertThat((System.nanoTime() - start) / 1e9)
                    .as("each index statement waits out the lock timeout once")
                    .isLessThan(3 * PgVectorSchema.LOCK_TIMEOUT_SECONDS);
            holder.rollback();
        }
        assertThat(textIndexes(own)).as("still the old index").isEqualTo(1);

        pg.prepareTables(); // the next start

        assertThat(textIndexes(own)).isEqualTo(2);
        assertThat(TestServices.rows("SELECT to_regclass('\"" + old + "\"') IS NULL"))
                .containsExactly("t");
    }

    private static int textIndexes(TestServices services) throws Exception {
        return Integer.parseInt(
                TestServices.rows(
                                "SELECT count(*) FROM pg_indexes WHERE tablename = '"
                                        + services.chunksTable
                                        + "' AND (indexdef LIKE '%USING gin (tenant, content_tsv)%'"
                                        + " OR indexdef LIKE '%USING hnsw (content_terms sparsevec_ip_ops)%')")
                        .get(0));
    }

    @Test
    void aWordSearchedForBeforeItsDocumentIsIndexedFindsItWithinSeconds() throws Exception {
        PgVectorSinkOptions pg = preparedSink(ownTables("new_word"));
        try (Searcher searcher = new Searcher(pg, SearchOptions.defaults(), null)) {
            assertThat(searcher.search(ACME, "moraines", 3, SearchMode.TEXT)).isEmpty();
            writeOneChunk(
                    pg, "moraine", "Moraines mark where a glacier stopped and dropped its rocks.");
            // a minute, were the count of none kept as long as a count of some
            Awaitility.await("the new word weighs")
                    .atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    assertThat(
                                                    searcher.search(
                                                            ACME, "moraines", 3, SearchMode.TEXT))
                                            .extracting(SearchHit::docId)
                                            .containsExactly("moraine"));
        }
    }

    /** The sink's options for a test's own tables, created as the job's start creates them. */
    private static PgVectorSinkOptions preparedSink(TestServices own) throws Exception {
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(own.config(), OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables();
        return pg;
    }

    /** An acme document of one chunk, version 1, as the sink writes it. */
    private static void writeOneChunk(PgVectorSinkOptions pg, String docId, String text)
            throws Exception {
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared();
                DirectWriter writer = new DirectWriter(pg)) {
            float[] vector = model.embed(List.of(text)).get(0);
            writer.write(
                    List.of(
                            new DocumentUpdate(
                                    ACME,
                                    docId,
                                    1,
                                    false,
                                    "{}",
                                    List.of(new ChunkRow(0, text, new byte[32], vector)))));
        }
    }

    @Test
    void aDocumentWithManyCloseChunksDoesNotCrowdOutTheOthers() throws Exception {
        TestServices own = ownTables("crowd");
        PgVectorSinkOptions pg = preparedSink(own);
        List<String> texts =
                List.of(
                        "Magma rises through the crust and erupts from volcanoes.",
                        "A sourdough starter is a culture of wild yeast.",
                        "Tides follow the Moon.",
                        "Bees dance to show food.");
        List<DocumentUpdate> updates = new ArrayList<>();
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared();
                DirectWriter writer = new DirectWriter(pg)) {
            List<float[]> vectors = model.embed(texts);
            List<ChunkRow> copies = new ArrayList<>();
            for (int c = 0;
                    c < 50;
                    c++) { // fifty chunks nearer to the query than any other document
                copies.add(new ChunkRow(c, texts.get(0), new byte[32], vectors.get(0)));
            }
            updates.add(new DocumentUpdate(ACME, "long", 1, false, "{}", copies));
            for (int i = 1; i < texts.size(); i++) {
                updates.add(
                        new DocumentUpdate(
                                ACME,
                                "short-" + i,
                                1,
                                false,
                                "{}",
                                List.of(
                                        new ChunkRow(
                                                0, texts.get(i), new byte[32], vectors.get(i)))));
            }
            writer.write(updates);
        }
        try (Searcher searcher = searcher(own.config())) {
            assertThat(searcher.search(ACME, "volcanic eruptions", 3))
                    .extracting(SearchHit::docId)
                    .hasSize(3)
                    .startsWith("long")
                    .doesNotHaveDuplicates();
        }
    }

    /**
     * The HNSW scan reads the nearest rows of every tenant and filters them: without iterative
     * scans a tenant whose chunks are all farther from the query than another tenant's would get
     * none of its own. At 3,000 rows the planner would rather sort the tenant's rows than read the
     * index, so the search's sessions are told not to, as a table of 100,000 would (bench search).
     */
    @Test
    void aTenantWhoseChunksAreAllFartherThanAnothersStillGetsItsNearestDocuments()
            throws Exception {
        PgVectorSinkOptions pg = preferringIndexes(ownTables("far_tenant"));
        Random random = new Random(7);
        float[] query = unit(random, null, 0);
        float[] elsewhere = unit(random, null, 0);
        List<DocumentUpdate> updates = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            updates.add(document("near", "near-" + i, unit(random, query, 0.02)));
            updates.add(document(ACME, "acme-" + i, unit(random, elsewhere, 0.02)));
        }
        try (DirectWriter writer = new DirectWriter(pg);
                Connection c = pg.connect()) {
            writer.write(updates);
            c.createStatement().execute("ANALYZE \"" + pg.schema().chunksTable() + "\"");
        }

        try (Searcher searcher = new Searcher(pg, null)) {
            assertThat(searcher.search(ACME, query, 10))
                    .extracting(SearchHit::docId)
                    .hasSize(10)
                    .doesNotHaveDuplicates()
                    .allMatch(id -> id.startsWith("acme-"));
        }
    }

    @Test
    void aTenantWithManyMatchingChunksIsRankedThroughTheTermsIndexByExactScores() throws Exception {
        TestServices own = ownTables("many_matches");
        // at this size the planner would rather sort the tenant's rows than walk the index
        PgVectorSinkOptions pg = preferringIndexes(own);
        Random random = new Random(11);
        String[] topics = {"lava", "glacier", "sourdough", "comet", "orchid"};
        List<DocumentUpdate> updates = new ArrayList<>();
        // every chunk holds "common" and "report": far more than EXACT_BUDGET chunks hold a query
        // word, and enough chunks for the HNSW walk alone to miss some of the rare word's
        for (int i = 0; i < 2_000; i++) {
            StringBuilder text = new StringBuilder("common report number " + i + ":");
            for (int w = 0; w < 3 + random.nextInt(30); w++) {
                text.append(' ').append(topics[random.nextInt(topics.length)]);
            }
            if (i % 97 == 0) {
                text.append(" obsidian");
            }
            updates.add(
                    new DocumentUpdate(
                            ACME,
                            "r" + i,
                            1,
                            false,
                            "{}",
                            List.of(
                                    new ChunkRow(
                                            0,
                                            text.toString(),
                                            new byte[32],
                                            unit(random, null, 0)))));
        }
        try (DirectWriter writer = new DirectWriter(pg)) {
            writer.write(updates);
        }
        String query = "obsidian in a common report";
        Map<String, Double> exact = bm25BestChunkPerDocument(own, ACME, query);
        long scansBefore = termsIndexScans(own);
        try (Searcher searcher = new Searcher(pg, SearchOptions.defaults(), null)) {
            // the documents holding the rare word, as the exact ranking has them
            List<String> rare =
                    exact.entrySet().stream()
                            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                            .limit(2_000 / 97 + 1)
                            .map(Map.Entry::getKey)
                            .toList();
            List<SearchHit> hits = searcher.search(ACME, query, 40, SearchMode.TEXT);
            assertThat(hits).hasSize(40).extracting(SearchHit::docId).doesNotHaveDuplicates();
            for (SearchHit hit : hits) { // every one scored exactly, whichever way it was found
                assertThat(hit.score()).isCloseTo(exact.get(hit.docId()), within(1e-4));
            }
            assertThat(hits.subList(0, rare.size()))
                    .extracting(SearchHit::docId)
                    .containsExactlyInAnyOrderElementsOf(rare);
        }
        Awaitility.await("the HNSW index on content_terms was scanned")
                .atMost(Duration.ofSeconds(10))
                .until(() -> termsIndexScans(own) > scansBefore);
    }

    private static long termsIndexScans(TestServices services) throws Exception {
        return Long.parseLong(
                TestServices.rows(
                                "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = '"
                                        + services.chunksTable
                                        + "_terms_hnsw'")
                        .get(0));
    }

    /**
     * The tables, prepared, with sessions told not to scan or sort a table: a few thousand rows
     * would rather be sorted than read through an index, as a table of 100,000 would not.
     */
    private static PgVectorSinkOptions preferringIndexes(TestServices own) throws Exception {
        String url = TestServices.PG_URL + (TestServices.PG_URL.contains("?") ? "&" : "?");
        PgVectorSinkOptions pg =
                PgVectorSinkOptions.from(
                        own.config(
                                "postgres.url="
                                        + url
                                        + "options=-c%20enable_seqscan=off%20-c%20enable_sort=off"),
                        OnnxMiniLmEmbedder.DIMENSION);
        pg.prepareTables();
        return pg;
    }

    private static DocumentUpdate document(String tenant, String id, float[] vector) {
        return new DocumentUpdate(
                tenant, id, 1, false, "{}", List.of(new ChunkRow(0, id, new byte[32], vector)));
    }

    /** A random unit vector, or {@code near} moved by {@code noise} per dimension, normalised. */
    private static float[] unit(Random random, float[] near, double noise) {
        float[] v = new float[OnnxMiniLmEmbedder.DIMENSION];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] =
                    (float)
                            (near == null
                                    ? random.nextGaussian()
                                    : near[i] + noise * random.nextGaussian());
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    @Test
    void aSearchWithoutTenantQueryOrKIsRefusedBeforeItRuns() {
        try (Searcher searcher = searcher(INDEXED.get(Quantization.FLOAT16).config())) {
            assertThatThrownBy(() -> searcher.search(" ", "volcanoes", 3))
                    .isInstanceOf(SearchException.class)
                    .hasMessage("a search needs a tenant");
            assertThatThrownBy(() -> searcher.searchAll(ACME, List.of("volcanoes", " "), 3))
                    .isInstanceOf(SearchException.class)
                    .hasMessageContaining("no blank one");
            assertThatThrownBy(() -> searcher.search(ACME, "volcanoes", 0))
                    .isInstanceOf(SearchException.class)
                    .hasMessage("k (documents to return) must be at least 1, was 0");
        }
    }

    @Test
    void aMissingTableSaysSoAndHowToFillIt() {
        RagstreamConfig config =
                INDEXED.get(Quantization.FLOAT16).config("postgres.chunks-table=no_such_chunks");
        firstSearchFails(config)
                .hasMessageContaining("table no_such_chunks does not exist")
                .hasMessageContaining("bin/ragstream run")
                .hasMessageContaining("postgres.chunks-table");
    }

    @Test
    void aTableOfAnotherDimensionNamesBothAndTheSettings() throws Exception {
        TestServices other = ownTables("dim768");
        PgVectorSinkOptions.from(other.config(), 768).prepareTables();
        firstSearchFails(other.config())
                .hasMessageContaining("stores 768-dimension vectors")
                .hasMessageContaining("all-MiniLM-L6-v2 gives 384")
                .hasMessageContaining("embedding.model");
    }

    @Test
    void aTableOfAnotherVectorTypeNamesTheQuantizationItWasIndexedWith() throws Exception {
        TestServices other = ownTables("float32");
        PgVectorSinkOptions.from(other.config("quantization=float32"), 384).prepareTables();
        // the same configuration error the job gives: it names the key and both modes
        assertThatThrownBy(
                        () -> {
                            try (Searcher searcher =
                                    searcher(other.config("quantization=float16"))) {
                                searcher.search(ACME, "volcanoes", 3);
                            }
                        })
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key 'quantization': is float16")
                .hasMessageContaining("created with quantization float32");
    }

    @Test
    void chunksOfAnotherModelAreNotComparedWithThisOnesQueries() throws Exception {
        TestServices other = ownTables("model");
        RagstreamConfig config = other.config();
        PgVectorSinkOptions written =
                PgVectorSinkOptions.from(config.with("embedding.model", "bge-small-en-v1.5"), 384);
        written.prepareTables();
        float[] vector;
        try (OnnxMiniLmEmbedder model = OnnxMiniLmEmbedder.shared()) {
            vector = model.embed(List.of("Magma rises through the crust")).get(0);
        }
        try (DirectWriter writer = new DirectWriter(written)) {
            writer.write(
                    List.of(
                            new DocumentUpdate(
                                    ACME,
                                    "volcanoes",
                                    1,
                                    false,
                                    "{}",
                                    List.of(
                                            new ChunkRow(
                                                    0,
                                                    "Magma rises through the crust",
                                                    new byte[32],
                                                    vector)))));
        }
        try (Searcher searcher = searcher(config)) {
            assertThatThrownBy(() -> searcher.search(ACME, "volcanoes", 3))
                    .isInstanceOf(SearchException.class)
                    .hasMessageContaining("1 chunks of tenant 'acme'")
                    .hasMessageContaining(
                            "embedded with bge-small-en-v1.5, but the configured model is all-MiniLM-L6-v2")
                    .hasMessageContaining("embedding.model=bge-small-en-v1.5");
            assertThat(searcher.search(GLOBEX, "volcanoes", 3))
                    .as("a tenant without such chunks")
                    .isEmpty();
        }
    }

    @Test
    void anUnreachableDatabaseNamesItsUrl() {
        RagstreamConfig config =
                INDEXED.get(Quantization.FLOAT16)
                        .config("postgres.url=jdbc:postgresql://127.0.0.1:1/ragstream");
        firstSearchFails(config)
                .hasMessageContaining(
                        "PostgreSQL at jdbc:postgresql://127.0.0.1:1/ragstream is not reachable")
                .hasMessageContaining("postgres.url");
    }

    @Test
    void aRefusedLoginNamesTheUserAndPasswordSettingsButNotThePassword() {
        // the local server trusts 127.0.0.1, so a user it does not know is what it refuses
        RagstreamConfig config =
                INDEXED.get(Quantization.FLOAT16)
                        .config("postgres.user=nobody_here", "postgres.password=not-the-password");
        firstSearchFails(config)
                .hasMessageContaining("refused user nobody_here")
                .hasMessageContaining("postgres.user")
                .hasMessageNotContaining("not-the-password");
    }

    /** The first search with these settings: what it throws. */
    private static AbstractThrowableAssert<?, ? extends Throwable> firstSearchFails(
            RagstreamConfig config) {
        return assertThatThrownBy(
                        () -> {
                            try (Searcher searcher = searcher(config)) {
                                searcher.search(ACME, "anything", 3);
                            }
                        })
                .isInstanceOf(SearchException.class);
    }

    private static TestServices ownTables(String name) {
        return IT.services("search_" + name);
    }

    private static String quantization(Quantization q) {
        return "quantization=" + q.name().toLowerCase();
    }

    private static Searcher searcher(RagstreamConfig config) {
        return new Searcher(
                PgVectorSinkOptions.from(config, OnnxMiniLmEmbedder.DIMENSION),
                OnnxMiniLmEmbedder.shared());
    }

    private static String row(SearchHit hit) {
        return hit.docId() + "#" + hit.chunkNo() + "#" + hit.content();
    }

    /** A tenant's rows as the search reports them: document, chunk number and text. */
    private static Set<String> rows(TestServices services, String tenant) throws Exception {
        Set<String> rows = new HashSet<>();
        try (Connection c = TestServices.connect();
                PreparedStatement st =
                        c.prepareStatement(
                                "SELECT doc_id, chunk_no, content FROM \""
                                        + services.chunksTable
                                        + "\" WHERE tenant = ?")) {
            st.setString(1, tenant);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getString(1) + "#" + rs.getInt(2) + "#" + rs.getString(3));
                }
            }
        }
        return rows;
    }

    /**
     * BM25 (k1 1.2, b 0.75) of each of the tenant's documents by its best chunk, from the stored
     * tsvectors: n the tenant's chunks, a word's df the chunks holding it, lengths (distinct words)
     * against a pivot of 100.
     */
    private static Map<String, Double> bm25BestChunkPerDocument(
            TestServices services, String tenant, String query) throws Exception {
        Set<String> words = new HashSet<>();
        Map<String, Map<String, Integer>> tf = new HashMap<>(); // chunk -> word -> count
        Map<String, Integer> length = new HashMap<>();
        int n = 0;
        try (Connection c = TestServices.connect()) {
            try (PreparedStatement st =
                    c.prepareStatement("SELECT lexeme FROM unnest(to_tsvector('english', ?))")) {
                st.setString(1, query);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        words.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement st =
                    c.prepareStatement(
                            "SELECT doc_id || '#' || chunk_no, length(content_tsv), u.lexeme,"
                                    + " coalesce(array_length(u.positions, 1), 1) FROM \""
                                    + services.chunksTable
                                    + "\" LEFT JOIN LATERAL unnest(content_tsv) u ON true WHERE tenant = ?")) {
                st.setString(1, tenant);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        String chunk = rs.getString(1);
                        if (length.put(chunk, rs.getInt(2)) == null) {
                            n++;
                        }
                        if (words.contains(rs.getString(3))) {
                            tf.computeIfAbsent(chunk, k -> new HashMap<>())
                                    .put(rs.getString(3), rs.getInt(4));
                        }
                    }
                }
            }
        }
        Map<String, Integer> df = new HashMap<>();
        tf.values().forEach(counts -> counts.keySet().forEach(w -> df.merge(w, 1, Integer::sum)));
        double avgdl = TextChunks.PIVOT_WORDS;
        Map<String, Double> best = new HashMap<>();
        for (Map.Entry<String, Map<String, Integer>> chunk : tf.entrySet()) {
            double score = 0;
            for (Map.Entry<String, Integer> word : chunk.getValue().entrySet()) {
                int f = word.getValue();
                double idf =
                        Math.log(
                                1
                                        + (n - df.get(word.getKey()) + 0.5)
                                                / (df.get(word.getKey()) + 0.5));
                score +=
                        idf
                                * f
                                * 2.2
                                / (f + 1.2 * (0.25 + 0.75 * length.get(chunk.getKey()) / avgdl));
            }
            String doc = chunk.getKey().substring(0, chunk.getKey().lastIndexOf('#'));
            best.merge(doc, score, Math::max);
        }
        return best;
    }
}
