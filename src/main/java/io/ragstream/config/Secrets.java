package io.ragstream.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What counts as a secret in the settings, and URLs with their secrets taken out, for anything
 * printed: logs, exceptions (which reach the web UI's exception history), dead letters, messages.
 */
public final class Secrets {
    private static final Pattern USER_INFO = Pattern.compile("(//)[^/@?#]*@");
    private static final Pattern PARAMETER = Pattern.compile("([?&;])([^=&;#]+)=([^&;#]*)");
    private static final Pattern SECRET_NAME =
            Pattern.compile(
                    "(?i).*(password|passwd|pwd|secret|token|jaas|credential|api[-_]?key|apikey|access[-_]?key|signature|auth).*");
    private static final String HIDDEN = "***";

    private Secrets() {}

    /**
     * Whether a setting holds a secret: its value belongs in the environment ({@code ${ENV}}).
     * {@code embedding.api-key-env} names a variable, and is no secret itself.
     */
    public static boolean isSecretKey(String key) {
        return !key.endsWith("-env")
                && (SECRET_NAME.matcher(key).matches() || key.endsWith(".key"));
    }

    /**
     * {@code url} (JDBC or HTTP) with its user info and secret-looking query parameters as {@code
     * ***}.
     */
    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        String s = USER_INFO.matcher(url).replaceFirst("$1" + HIDDEN + "@");
        Matcher m = PARAMETER.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = SECRET_NAME.matcher(m.group(2)).matches() ? HIDDEN : m.group(3);
            m.appendReplacement(
                    out, Matcher.quoteReplacement(m.group(1) + m.group(2) + "=" + value));
        }
        return m.appendTail(out).toString();
    }

    /** Where a message names a server: the URL without user info and without any parameter. */
    public static String withoutParameters(String url) {
        String redacted = redactUrl(url);
        int q = redacted.indexOf('?');
        return q < 0 ? redacted : redacted.substring(0, q);
    }

    /**
     * For a job submitted to a cluster: {@code --set} values travel as program arguments, which the
     * REST API and web UI show, so a secret there is refused unless it is an {@code ${ENV}}
     * reference resolved on the cluster.
     */
    public static void refuseInProgramArguments(List<String> overrides) {
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                continue; // RagstreamConfig says what is wrong with it
            }
            String key = override.substring(0, eq).trim();
            String value = override.substring(eq + 1).trim();
            boolean secret = isSecretKey(key) || !redactUrl(value).equals(value);
            if (secret && !(value.startsWith("${") && value.endsWith("}"))) {
                throw new ConfigException(
                        key,
                        "holds a secret, and --set passes it as a program argument, which the "
                                + "cluster's REST API and web UI show; put '"
                                + key.toLowerCase(Locale.ROOT)
                                + ": ${SOME_VARIABLE}' in the --config file and the value in that variable on the cluster");
            }
        }
    }
}
