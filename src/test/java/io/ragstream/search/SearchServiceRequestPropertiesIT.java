package io.ragstream.search;

import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever a client POSTs to {@code serve-search} is answered 200 with hits or 400 with a reason,
 * never 500 and never a dropped connection: generated requests mix plausible fields (known and
 * unknown tenants, queries with NULs, unpaired surrogates and astral characters, up to 40 of them,
 * k around its bounds, modes in any case) with JSON of any type in any field, extra fields and
 * bodies that are not objects, against the real database and model.
 */
class SearchServiceRequestPropertiesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Map<String, AtomicInteger> OUTCOMES = new TreeMap<>();

    private static TestServices services;
    private static CachedQueryEmbedder model;
    private static ServedSearch served;

    @BeforeContainer
    static void serve() throws Exception {
        services = new TestServices("search_requests");
        model = new CachedQueryEmbedder(OnnxMiniLmEmbedder.shared(), 1000);
        served =
                ServedSearch.serve(
                        new Searcher(
                                ServedSearch.index(services), SearchOptions.defaults(), model));
    }

    @AfterContainer
    static void stop() throws Exception {
        System.out.println("SearchServiceRequestPropertiesIT outcomes: " + OUTCOMES);
        if (served != null) {
            served.close();
            model.close();
        }
        services.dropTables();
    }

    @Property(tries = 200, seed = "20261205", edgeCases = EdgeCasesMode.NONE)
    void everyRequestIsAnsweredOrRefusedWithAReason(@ForAll("requests") JsonNode request)
            throws Exception {
        HttpResponse<String> response = served.post(JSON.writeValueAsString(request));

        assertThat(response.statusCode()).as(response.body()).isIn(200, 400);
        JsonNode answer = JSON.readTree(response.body());
        if (response.statusCode() == 200) {
            assertThat(answer.get("hits").isArray()).isTrue();
            answer.get("hits")
                    .forEach(
                            hit ->
                                    assertThat(hit.get("docId").asText())
                                            .as("only acme has rows, and only its own")
                                            .matches("doc-[0-2]"));
        } else {
            assertThat(answer.get("error").asText()).isNotBlank();
        }
        OUTCOMES.computeIfAbsent(
                        response.statusCode()
                                + (response.statusCode() == 400
                                        ? " " + reason(answer.get("error").asText())
                                        : ""),
                        key -> new AtomicInteger())
                .incrementAndGet();
    }

    /** The first words of a refusal, to count refusals by kind. */
    private static String reason(String error) {
        String[] words = error.split(" ", 6);
        return String.join(" ", List.of(words).subList(0, Math.min(5, words.length)));
    }

    @Provide
    Arbitrary<JsonNode> requests() {
        Arbitrary<JsonNode> plausible =
                Combinators.combine(
                                field(tenants()),
                                field(queryText().map(NODES::textNode)),
                                field(queryList()),
                                field(
                                        Arbitraries.integers()
                                                .between(-5, 130)
                                                .map(NODES::numberNode)),
                                field(modes()),
                                extraFields())
                        .as(
                                (tenant, query, queries, k, mode, extra) -> {
                                    ObjectNode request = NODES.objectNode();
                                    tenant.ifPresent(v -> request.set("tenant", v));
                                    query.ifPresent(v -> request.set("query", v));
                                    queries.ifPresent(v -> request.set("queries", v));
                                    k.ifPresent(v -> request.set("k", v));
                                    mode.ifPresent(v -> request.set("mode", v));
                                    extra.fields()
                                            .forEachRemaining(
                                                    e -> request.set(e.getKey(), e.getValue()));
                                    return request;
                                });
        return Arbitraries.frequencyOf(Tuple.of(8, plausible), Tuple.of(1, anyJson(3)));
    }

    /** A field left out, given a plausible value, or given any JSON at all. */
    private static Arbitrary<Optional<JsonNode>> field(Arbitrary<JsonNode> plausible) {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(Optional.<JsonNode>empty())),
                Tuple.of(6, plausible.map(Optional::of)),
                Tuple.of(1, anyJson(2).map(Optional::of)));
    }

    private static Arbitrary<JsonNode> tenants() {
        return Arbitraries.oneOf(
                Arbitraries.of("acme", "acme", "globex", " acme", "ACME", "").map(NODES::textNode),
                strings(40).map(NODES::textNode));
    }

    private static Arbitrary<String> queryText() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "moon and tides",
                        "glacier",
                        "the and of",
                        "!!! ???",
                        "sourdough\u0000yeast",
                        "潮汐と月の引力",
                        "\uD83C\uDF0A waves",
                        "tide \uD800 lone"),
                strings(200));
    }

    private static Arbitrary<JsonNode> queryList() {
        return queryText()
                .map(NODES::textNode)
                .list()
                .ofMaxSize(40)
                .map(SearchServiceRequestPropertiesIT::array);
    }

    private static Arbitrary<JsonNode> modes() {
        return Arbitraries.oneOf(
                Arbitraries.of("vector", "text", "hybrid", "HYBRID", " text ", "fuzzy", "")
                        .map(NODES::textNode));
    }

    private static Arbitrary<ObjectNode> extraFields() {
        return Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(8), anyJson(1))
                .ofMaxSize(2)
                .map(SearchServiceRequestPropertiesIT::object);
    }

    /** Text of any characters: control characters, NULs, unpaired surrogates, astral ones. */
    private static Arbitrary<String> strings(int maxLength) {
        return Arbitraries.strings().all().ofMaxLength(maxLength);
    }

    /** Any JSON value, nested at most {@code depth} deep. */
    private static Arbitrary<JsonNode> anyJson(int depth) {
        Arbitrary<JsonNode> scalar =
                Arbitraries.oneOf(
                        strings(30).map(NODES::textNode),
                        Arbitraries.integers().map(NODES::numberNode),
                        Arbitraries.longs().map(NODES::numberNode),
                        Arbitraries.doubles().map(NODES::numberNode),
                        Arbitraries.bigIntegers()
                                .between(
                                        java.math.BigInteger.TEN.pow(30).negate(),
                                        java.math.BigInteger.TEN.pow(30))
                                .map(NODES::numberNode),
                        Arbitraries.of(true, false).map(NODES::booleanNode),
                        Arbitraries.just(NODES.nullNode()));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<JsonNode> array =
                anyJson(depth - 1).list().ofMaxSize(3).map(SearchServiceRequestPropertiesIT::array);
        Arbitrary<JsonNode> object =
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(6), anyJson(depth - 1))
                        .ofMaxSize(3)
                        .map(SearchServiceRequestPropertiesIT::object);
        return Arbitraries.oneOf(scalar, scalar, array, object);
    }

    private static ArrayNode array(List<? extends JsonNode> values) {
        return NODES.arrayNode().addAll(values);
    }

    private static ObjectNode object(Map<String, ? extends JsonNode> fields) {
        ObjectNode node = NODES.objectNode();
        node.setAll(fields);
        return node;
    }
}
