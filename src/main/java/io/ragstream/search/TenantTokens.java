package io.ragstream.search;

import io.ragstream.chunk.DocumentChunker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which tenants a {@code serve-search} client may search, by the bearer token it sends ({@code
 * Authorization: Bearer TOKEN}). The file ({@code serve-search --tokens}) holds each token's
 * SHA-256 rather than the token, so reading it gives nobody access: a line {@code TENANT
 * SHA256-HEX} per token and tenant ({@code *}: every tenant; a tenant may contain spaces, the hash
 * is the last word), {@code #} comments. A token is looked up by its hash, so how long a lookup
 * takes says nothing about the token.
 */
public final class TenantTokens {
    /** Any client may search any tenant: {@code serve-search} without {@code --tokens}. */
    public static final TenantTokens OPEN = new TenantTokens(null);

    static final String EVERY_TENANT = "*";

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final String BEARER = "bearer ";

    /** Tenants by token hash (lower-case hex); null: open. */
    private final Map<String, Set<String>> tenantsByHash;

    private TenantTokens(Map<String, Set<String>> tenantsByHash) {
        this.tenantsByHash = tenantsByHash;
    }

    /** The tenants one request's token opens. */
    public interface Grant {
        boolean allows(String tenant);
    }

    /**
     * The file's tokens; an unreadable file, a line that is not {@code TENANT SHA256-HEX} or a file
     * without a token is refused with the line's number (never its hash).
     */
    public static TenantTokens read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    static TenantTokens parse(List<String> lines, String source) {
        Map<String, Set<String>> tenantsByHash = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = lastWhitespace(line);
            String hash = space < 0 ? line : line.substring(space + 1);
            String tenant = space < 0 ? "" : line.substring(0, space).strip();
            if (tenant.isEmpty() || !SHA256_HEX.matcher(hash).matches()) {
                throw new IllegalArgumentException(
                        source
                                + " line "
                                + (i + 1)
                                + ": expected 'TENANT SHA256-HEX' (a tenant, or * for every"
                                + " tenant, then the 64 hex digits of the token's SHA-256, as"
                                + " printf %s \"$TOKEN\" | sha256sum prints them)");
            }
            tenantsByHash
                    .computeIfAbsent(hash.toLowerCase(Locale.ROOT), h -> new HashSet<>())
                    .add(tenant);
        }
        if (tenantsByHash.isEmpty()) {
            throw new IllegalArgumentException(
                    source + " lists no token, so no client could search");
        }
        return new TenantTokens(tenantsByHash);
    }

    private static int lastWhitespace(String line) {
        for (int i = line.length() - 1; i >= 0; i--) {
            if (Character.isWhitespace(line.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * What the request's {@code Authorization} header (null when absent) opens; null when it holds
     * no token the file lists (401).
     */
    public Grant grant(String authorization) {
        if (tenantsByHash == null) {
            return tenant -> true;
        }
        if (authorization == null
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        Set<String> tenants =
                tenantsByHash.get(
                        DocumentChunker.sha256Hex(
                                authorization.substring(BEARER.length()).strip()));
        if (tenants == null) {
            return null;
        }
        return tenants.contains(EVERY_TENANT) ? tenant -> true : tenants::contains;
    }

    /** Tokens in the file. */
    public int size() {
        return tenantsByHash == null ? 0 : tenantsByHash.size();
    }
}
