package io.ragstream.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series selectors of a PromQL expression, as far as a dashboard's queries need: each metric
 * name it reads (or {@code __name__} regex), with the label names its matchers use. Not a PromQL
 * parser: it tokenizes the expression and takes every identifier that is not a function, an
 * aggregation, a keyword or a label list for a metric name. That is enough because in PromQL a bare
 * identifier is a metric name everywhere else:
 *
 * <ul>
 *   <li>strings ({@code "..."}, {@code '...'}, {@code `...`}) are skipped: label_replace's
 *       arguments, regexes;
 *   <li>{@code [...]} (ranges, subqueries) and numbers with units ({@code 5m}, {@code 0.95}) are
 *       skipped;
 *   <li>an identifier followed by {@code (}, {@code by} or {@code without} is a function or an
 *       aggregation ({@code rate(}, {@code sum(}, {@code sum by}); after {@code by}, {@code
 *       without}, {@code on}, {@code ignoring}, {@code group_left} and {@code group_right} the
 *       parenthesised list holds label names, skipped;
 *   <li>operators spelled as words ({@code and}, {@code or}, {@code unless}, {@code bool}, {@code
 *       offset}, {@code atan2}) and the literals {@code inf}, {@code nan} are skipped;
 *   <li>Grafana's variables ({@code $job_name}, {@code ${x}}, {@code $__rate_interval}) are
 *       skipped;
 *   <li>{@code {...}} after a name holds its label matchers; a matcher on {@code __name__} names
 *       the metric itself ({@code =} a name, {@code =~} a regex the name must match).
 * </ul>
 */
final class PromQlSelectors {
    /** One selector: a metric name, or a regex over names, and the labels its matchers test. */
    record Selector(String name, Pattern namePattern, Set<String> labels) {
        @Override
        public String toString() {
            return (name != null ? name : "{__name__=~\"" + namePattern + "\"}")
                    + (labels.isEmpty() ? "" : " " + labels);
        }
    }

    private static final String STRING = "\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|`[^`]*`";
    private static final Pattern TOKEN =
            Pattern.compile(
                    String.join(
                            "|",
                            STRING,
                            "\\{(?:" + STRING + "|[^}\"'`])*\\}", // label matchers
                            "\\[[^\\]]*\\]", // a range or a subquery's range and step
                            "\\$\\{[^}]*\\}|\\$\\w+", // a Grafana variable
                            "\\d[\\w.]*|\\.\\d[\\w.]*", // a number, a duration
                            "[A-Za-z_:][A-Za-z0-9_:]*", // an identifier
                            "\\S"));
    private static final Pattern MATCHER =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*(" + STRING + ")");
    private static final Set<String> LABEL_LISTS =
            Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> WORDS =
            Set.of(
                    "and",
                    "or",
                    "unless",
                    "bool",
                    "offset",
                    "atan2",
                    "inf",
                    "nan",
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right");

    private PromQlSelectors() {}

    /** The selectors of {@code expr}, in the order they appear. */
    static List<Selector> of(String expr) {
        List<String> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(expr);
        while (m.find()) {
            tokens.add(m.group());
        }
        List<Selector> selectors = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            String next = i + 1 < tokens.size() ? tokens.get(i + 1) : "";
            if (LABEL_LISTS.contains(token) && next.equals("(")) {
                while (i < tokens.size() && !tokens.get(i).equals(")")) {
                    i++; // the label names up to the closing parenthesis
                }
            } else if (token.startsWith("{")) { // a selector with no name before it
                selectors.add(selector(null, token));
            } else if (isIdentifier(token)
                    && !next.equals("(")
                    && !next.equals("by") // an aggregation with its grouping first
                    && !next.equals("without")
                    && !WORDS.contains(token)) {
                boolean matchers = next.startsWith("{");
                selectors.add(selector(token, matchers ? next : "{}"));
                if (matchers) {
                    i++;
                }
            }
        }
        return selectors;
    }

    /**
     * The selectors of a Grafana variable's query: {@code label_values(selector, label)} (the label
     * is not a metric), else a plain expression.
     */
    static List<Selector> ofVariableQuery(String query) {
        Matcher m =
                Pattern.compile("\\s*label_values\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*")
                        .matcher(query);
        if (m.matches()) {
            return of(m.group(1));
        }
        return query.strip().startsWith("label_values(") ? List.of() : of(query);
    }

    private static boolean isIdentifier(String token) {
        char c = token.charAt(0);
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static Selector selector(String name, String matchers) {
        Pattern pattern = null;
        Set<String> labels = new TreeSet<>();
        Matcher m = MATCHER.matcher(matchers);
        while (m.find()) {
            String value = unquote(m.group(3));
            if (!m.group(1).equals("__name__")) {
                labels.add(m.group(1));
            } else if (m.group(2).equals("=")) {
                name = value;
            } else if (m.group(2).equals("=~")) {
                pattern = Pattern.compile(value); // PromQL regexes match the whole value
            }
        }
        if (name == null && pattern == null) {
            throw new IllegalArgumentException("a selector without a metric name: " + matchers);
        }
        return new Selector(name, name == null ? pattern : null, labels);
    }

    private static String unquote(String literal) {
        String body = literal.substring(1, literal.length() - 1);
        return literal.startsWith("`") ? body : body.replaceAll("\\\\(.)", "$1");
    }
}
