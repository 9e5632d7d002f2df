package io.ragstream.sink;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.config.Secrets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Optional;

/**
 * The pgvector version of a database, checked at start. Below {@value #MINIMUM_SAFE}, HNSW indexes
 * under deletes and updates with concurrent inserts (this job's load) can be corrupted or fail, and
 * parallel HNSW builds (a backfill's deferred index) can overflow a buffer.
 */
public final class PgVectorExtension {
    private static final Logger LOG = LoggerFactory.getLogger(PgVectorExtension.class);

    public static final String MINIMUM_SAFE = "0.8.4";

    static final String REASONS =
            "0.8.2 fixed a buffer overflow in parallel HNSW index builds (CVE-2026-3172), "
                    + "0.8.3 possible HNSW index corruption when vacuuming, 0.8.4 'hnsw graph not repaired' errors and "
                    + "failing inserts during HNSW vacuuming; deletes and updates with concurrent inserts are this job's load";

    private PgVectorExtension() {}

    /**
     * The version this database's checks apply to: the extension's if it is created, else the one
     * {@code CREATE EXTENSION vector} would create; empty when pgvector is not installed at all.
     */
    public static Optional<String> version(Connection connection) throws SQLException {
        return Optional.ofNullable(read(connection).checked());
    }

    /** The version checked, and the one the server's files offer; each null when there is none. */
    private record Versions(String checked, String available) {}

    private static Versions read(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'),"
                                        + " (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')")) {
            rs.next();
            String available = rs.getString(2);
            return new Versions(rs.getString(1) != null ? rs.getString(1) : available, available);
        }
    }

    /**
     * The sink's start: refuses an unsafe version with a {@link ConfigException} naming {@code
     * postgres.allow-unsafe-pgvector}, or, with that option on, logs a warning.
     */
    public static void checkForSink(Connection connection, String url, boolean allowUnsafe)
            throws SQLException {
        Versions versions = read(connection);
        checkForSink(versions.checked(), versions.available(), url, allowUnsafe);
    }

    static void checkForSink(String version, String available, String url, boolean allowUnsafe) {
        if (version == null || isSafe(version)) {
            return; // not installed: the DDL fails with PostgreSQL's own message
        }
        String key = RagstreamOptions.POSTGRES_ALLOW_UNSAFE_PGVECTOR.key();
        String problem = unsafeMessage(version, url, available);
        if (!allowUnsafe) {
            throw new ConfigException(key, problem + "; or set " + key + ": true to start anyway");
        }
        LOG.warn("{} ({} is true, so the job starts anyway)", problem, key);
    }

    /** Search's start: it only reads, so an unsafe version is a warning. */
    public static void warnIfUnsafe(Connection connection, String url) throws SQLException {
        Versions versions = read(connection);
        if (versions.checked() != null && !isSafe(versions.checked())) {
            LOG.warn(unsafeMessage(versions.checked(), url, versions.available()));
        }
    }

    public static boolean isSafe(String version) {
        return compare(version, MINIMUM_SAFE) >= 0;
    }

    /**
     * Numeric per dot-separated component (0.8.10 after 0.8.4), a missing component counting as 0;
     * each component is read up to its first non-digit, so a suffix ("0.8.4-dev", "0.8.6rc1") is
     * ignored, and the components after one too.
     */
    static int compare(String a, String b) {
        long[] x = components(a);
        long[] y = components(b);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Long.compare(i < x.length ? x[i] : 0, i < y.length ? y[i] : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static long[] components(String version) {
        String[] parts = version.strip().split("\\.", -1);
        long[] numbers = new long[parts.length];
        int n = 0;
        for (String part : parts) {
            int digits = 0;
            while (digits < part.length()
                    && digits < 18
                    && Character.isDigit(part.charAt(digits))) {
                digits++;
            }
            if (digits == 0) {
                break;
            }
            numbers[n++] = Long.parseLong(part.substring(0, digits));
            if (digits < part.length()) {
                break; // "4-dev": the suffix ends the version
            }
        }
        return Arrays.copyOf(numbers, n);
    }

    /**
     * What is wrong and how to fix it; {@code available}: the version the server's files offer, if
     * known.
     */
    static String unsafeMessage(String version, String url, String available) {
        String fix =
                available != null && isSafe(available)
                        ? "the server has pgvector "
                                + available
                                + " installed, so ALTER EXTENSION vector UPDATE in this "
                                + "database is enough (bin/ragstream services start does it for the local services)"
                        : "run bin/ragstream setup for the local services, or install PGDG's postgresql-NN-pgvector or use "
                                + "the pgvector/pgvector:0.8.6-pg17 image, then ALTER EXTENSION vector UPDATE in this database";
        return "pgvector "
                + version
                + " in "
                + Secrets.withoutParameters(url)
                + " is older than "
                + MINIMUM_SAFE
                + ": "
                + REASONS
                + ". Fix: "
                + fix;
    }
}
