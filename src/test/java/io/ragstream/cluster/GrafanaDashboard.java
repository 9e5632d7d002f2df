package io.ragstream.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Grafana dashboard (its JSON model) as far as its queries go: every PromQL expression of every
 * panel (rows' nested panels included) and of every query variable, and the check that what they
 * select is served.
 */
final class GrafanaDashboard {
    /** The dashboard docker-compose.yml's Grafana shows. */
    static final Path RAGSTREAM = Path.of("deploy/grafana/dashboards/ragstream.json");

    /** One query: where it is (a panel's title and refId, or a variable) and its expression. */
    record Query(String where, String expr, List<PromQlSelectors.Selector> selectors) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode model;

    GrafanaDashboard(JsonNode model) {
        this.model = model;
    }

    static GrafanaDashboard read(Path file) throws IOException {
        return new GrafanaDashboard(JSON.readTree(file.toFile()));
    }

    JsonNode model() {
        return model;
    }

    /** Every panel but rows, rows' nested panels included. */
    List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        collect(model.path("panels"), panels);
        return panels;
    }

    private static void collect(JsonNode list, List<JsonNode> into) {
        for (JsonNode panel : list) {
            if (panel.path("type").asText().equals("row")) {
                collect(panel.path("panels"), into);
            } else {
                into.add(panel);
            }
        }
    }

    List<Query> queries() {
        List<Query> queries = new ArrayList<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                queries.add(
                        new Query(
                                "panel \""
                                        + panel.path("title").asText()
                                        + "\" "
                                        + target.path("refId").asText(),
                                expr,
                                PromQlSelectors.of(expr)));
            }
        }
        for (JsonNode variable : model.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.path("query");
                String text = query.isObject() ? query.path("query").asText() : query.asText();
                queries.add(
                        new Query(
                                "variable $" + variable.path("name").asText(),
                                text,
                                PromQlSelectors.ofVariableQuery(text)));
            }
        }
        return queries;
    }

    /**
     * What the queries select that a scrape does not serve (a name no sample has, a name regex no
     * name matches, a label no sample of that name has), one line each; empty when every name and
     * label the queries select is served.
     */
    List<String> missingFrom(PrometheusScrape scrape) {
        Map<String, Set<String>> served = scrape.labelsByName();
        List<String> missing = new ArrayList<>();
        for (Query query : queries()) {
            for (PromQlSelectors.Selector selector : query.selectors()) {
                Set<String> labels = null; // of every name the selector reads
                if (selector.name() != null) {
                    labels = served.get(selector.name());
                } else {
                    for (Map.Entry<String, Set<String>> name : served.entrySet()) {
                        if (selector.namePattern().matcher(name.getKey()).matches()) {
                            labels = labels == null ? new TreeSet<>() : labels;
                            labels.addAll(name.getValue());
                        }
                    }
                }
                if (labels == null) {
                    missing.add(query.where() + ": nothing served for " + selector);
                    continue;
                }
                for (String label : selector.labels()) {
                    if (!labels.contains(label)) {
                        missing.add(query.where() + ": no label " + label + " on " + selector);
                    }
                }
            }
        }
        return missing;
    }
}
