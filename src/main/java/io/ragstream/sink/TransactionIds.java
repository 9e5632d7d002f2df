package io.ragstream.sink;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the exactly-once sink's prepared transactions: {@code
 * <prefix>:<subtask>:<checkpoint>:<run>:<n>}. The prefix is the sink's identity ({@code
 * sink.transaction-prefix}), so a sink finds its own leftovers by exact prefix and never touches
 * another's; the checkpoint is the one the transaction's writes belong to (at most its barrier's
 * id), which decides after a restore whether it is committed or rolled back; the run (random per
 * writer) keeps a restarted writer from reusing a name its failed predecessor left prepared, and n
 * counts the writer's transactions.
 */
record TransactionIds(String prefix, int subtask, String run) {
    /**
     * What a prefix may hold: no ':' (it ends the prefix) and nothing that needs quoting in SQL.
     */
    static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,120}");

    private static final Pattern GID =
            Pattern.compile(
                    "([A-Za-z0-9_.\\-]{1,120}):(\\d{1,9}):(\\d{1,19}):([0-9a-f]{1,32}):(\\d{1,19})");

    /** Names before the prefix existed: {@code ragstream:<chunks table>:<subtask>:<run>:<n>}. */
    private static final Pattern LEGACY_GID =
            Pattern.compile("ragstream:([a-z_][a-z0-9_]*):\\d+:[0-9a-f]+:\\d+");

    /** One transaction's name, parsed. */
    record Gid(String prefix, int subtask, long checkpoint, String run) {}

    TransactionIds {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("not a transaction prefix: " + prefix);
        }
    }

    String gid(long checkpoint, long n) {
        return prefix + ":" + subtask + ":" + checkpoint + ":" + run + ":" + n;
    }

    /** What {@code gid} says, if it is a name this sink's format makes. */
    static Optional<Gid> parse(String gid) {
        Matcher m = GID.matcher(gid);
        return m.matches()
                ? Optional.of(
                        new Gid(
                                m.group(1),
                                Integer.parseInt(m.group(2)),
                                Long.parseLong(m.group(3)),
                                m.group(4)))
                : Optional.empty();
    }

    /**
     * Whether {@code gid} is a name an earlier version of the sink gave a transaction on {@code
     * chunksTable}.
     */
    static boolean isLegacy(String gid, String chunksTable) {
        Matcher m = LEGACY_GID.matcher(gid);
        return m.matches() && m.group(1).equals(chunksTable);
    }

    /**
     * The name as a SQL literal; it is checked first because COMMIT PREPARED takes no parameters.
     */
    static String literal(String gid) {
        if (parse(gid).isEmpty() && !LEGACY_GID.matcher(gid).matches()) {
            throw new IllegalArgumentException("not a ragstream transaction id: " + gid);
        }
        return "'" + gid + "'";
    }
}
