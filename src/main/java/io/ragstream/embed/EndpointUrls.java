package io.ragstream.embed;

import io.ragstream.config.Secrets;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * An HTTP backend's endpoint URL: checked when configured, shown without its secrets, extended by
 * an API path.
 */
final class EndpointUrls {

    private EndpointUrls() {}

    /**
     * The endpoint as given, checked: http or https, a host, no user info (credentials in a URL end
     * up in logs), no fragment; a trailing slash is dropped.
     */
    static URI base(String url) {
        Objects.requireNonNull(url, "endpoint url");
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(
                    "endpoint must be an http:// or https:// URL: "
                            + Secrets.redactUrl(uri.toString()));
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(
                    "endpoint has no host: " + Secrets.redactUrl(uri.toString()));
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(
                    "endpoint must not carry credentials (user:password@); "
                            + "give an API key through its environment variable instead");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException(
                    "endpoint must not have a fragment (#...): "
                            + Secrets.redactUrl(uri.toString()));
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return withPath(uri, path);
    }

    /** The URL without what may be secret: user info and query string show as {@code ***}. */
    static String redacted(URI uri) {
        StringBuilder s = new StringBuilder(uri.getScheme()).append("://");
        if (uri.getRawUserInfo() != null) {
            s.append("***@");
        }
        s.append(uri.getHost());
        if (uri.getPort() >= 0) {
            s.append(':').append(uri.getPort());
        }
        s.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        return uri.getRawQuery() != null ? s.append("?***").toString() : s.toString();
    }

    /** {@code base} with its path replaced (the query, if any, is kept). */
    static URI withPath(URI base, String rawPath) {
        StringBuilder s =
                new StringBuilder(base.getScheme())
                        .append("://")
                        .append(base.getRawAuthority())
                        .append(rawPath);
        if (base.getRawQuery() != null) {
            s.append('?').append(base.getRawQuery());
        }
        return URI.create(s.toString());
    }
}
