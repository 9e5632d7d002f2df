package io.ragstream.search;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * A search that cannot run, with a message a user can act on, and whose fault it is: {@code
 * serve-search} answers 400, 503 or 500 by it ({@link Fault}).
 */
public final class SearchException extends RuntimeException {
    /** Whose fault a failed search is, so a client knows whether to fix, retry or call someone. */
    public enum Fault {
        /**
         * The request itself: no tenant, a wrong k, a NUL character. Sending it again fails again.
         */
        REQUEST,
        /**
         * The database, for now: unreachable, too slow (search.timeout), out of connections. The
         * same request may succeed later.
         */
        UNAVAILABLE,
        /** The service's own setup: a missing table, another model, a wrong quantization. */
        SETUP
    }

    private final Fault fault;

    public SearchException(String message, Throwable cause) {
        this(Fault.SETUP, message, cause);
    }

    SearchException(Fault fault, String message, Throwable cause) {
        super(message, cause);
        this.fault = fault;
    }

    static SearchException badRequest(String message) {
        return new SearchException(Fault.REQUEST, message, null);
    }

    /**
     * A statement that failed, as a SearchException whose fault PostgreSQL's error class tells:
     * data exceptions (22) are the request's, a cancelled statement (57014: search.timeout ran
     * out), a lost connection (08), too few resources (53), a server shutting down (57P) or a pool
     * with no free connection are the database's for now, the rest the setup's.
     */
    static SearchException of(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        Fault fault;
        if (state.startsWith("22")) {
            fault = Fault.REQUEST;
        } else if (state.startsWith("08")
                || state.startsWith("53")
                || state.startsWith("57")
                || e instanceof SQLTransientConnectionException) {
            fault = Fault.UNAVAILABLE;
        } else {
            fault = Fault.SETUP;
        }
        return new SearchException(fault, what + " failed: " + e.getMessage(), e);
    }

    public Fault fault() {
        return fault;
    }
}
