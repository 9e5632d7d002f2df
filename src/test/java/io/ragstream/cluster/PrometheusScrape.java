package io.ragstream.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Prometheus endpoint served ({@code GET /metrics}, the text exposition format): each
 * sample's metric name, labels and value.
 */
final class PrometheusScrape {
    record Sample(String name, Map<String, String> labels, double value) {}

    private static final Pattern LINE =
            Pattern.compile("([A-Za-z_:][A-Za-z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)(\\s+\\d+)?");
    private static final Pattern LABEL =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"((?:\\\\.|[^\"\\\\])*)\"");

    private final List<Sample> samples;

    private PrometheusScrape(List<Sample> samples) {
        this.samples = List.copyOf(samples);
    }

    static PrometheusScrape parse(String body) {
        List<Sample> samples = new ArrayList<>();
        for (String line : body.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, value(m.group(4))));
        }
        return new PrometheusScrape(samples);
    }

    private static double value(String text) {
        return switch (text) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text); // NaN included
        };
    }

    /** Every metric name served, with the label names any of its samples has. */
    Map<String, Set<String>> labelsByName() {
        Map<String, Set<String>> names = new TreeMap<>();
        for (Sample s : samples) {
            names.computeIfAbsent(s.name(), n -> new TreeSet<>()).addAll(s.labels().keySet());
        }
        return names;
    }

    /** The sum of the samples of {@code name} whose labels pass {@code labels}. */
    double sum(String name, Predicate<Map<String, String>> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && labels.test(s.labels()))
                .mapToDouble(Sample::value)
                .sum();
    }

    /** Whether any sample of {@code name} has labels that pass {@code labels}. */
    boolean has(String name, Predicate<Map<String, String>> labels) {
        return samples.stream().anyMatch(s -> s.name().equals(name) && labels.test(s.labels()));
    }
}
