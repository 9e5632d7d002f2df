package io.ragstream.bench;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.function.DoublePredicate;

/** What a figure should reach: the words the report shows, and the test of a measured value. */
public record Goal(String text, DoublePredicate test, int decimals) {

    /** At least {@code min}, e.g. a ratio to a ceiling. */
    public static Goal atLeast(double min) {
        return new Goal("≥ " + plain(min), v -> v >= min, -1);
    }

    /** At most {@code max}, e.g. a ratio of times. */
    public static Goal atMost(double max) {
        return new Goal("≤ " + plain(max), v -> v <= max, -1);
    }

    /** Below {@code max} of {@code unit}, e.g. a latency. */
    public static Goal below(double max, String unit) {
        return new Goal("< " + plain(max) + " " + unit, v -> v < max, -1);
    }

    /** Within {@code tolerance} of a reference figure; shown with the reference's decimals. */
    public static Goal within(double reference, double tolerance) {
        String shown = plain(reference);
        int decimals = shown.indexOf('.') < 0 ? 0 : shown.length() - shown.indexOf('.') - 1;
        return new Goal(
                "within " + plain(tolerance) + " of " + shown,
                v -> Math.abs(v - reference) <= tolerance,
                decimals);
    }

    /** 30 as "30", 0.90 as "0.9": the number as written, without a rounding of its own. */
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    public boolean metBy(double value) {
        return test.test(value);
    }

    /** The value with the decimals the goal is stated in, or the report's usual rounding. */
    String format(double value) {
        return decimals < 0
                ? BenchReport.format(value)
                : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
