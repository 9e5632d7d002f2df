package io.ragstream.sink;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the sink's prepared transactions: {@code ragstream:<chunks table>:<subtask>:<run>:<n>}.
 * The subtask says whose it is after a restart; the run (random per writer) keeps a restarted
 * writer from reusing a name its failed predecessor left prepared.
 */
record TransactionIds(String chunksTable, int subtask, String run) {
    private static final Pattern GID = Pattern.compile("ragstream:([a-z_][a-z0-9_]*):(\\d+):([0-9a-f]+):(\\d+)");

    /** A prefix for {@code LIKE}; table names are identifiers, so no pattern character can occur. */
    static String tablePrefix(String chunksTable) {
        return "ragstream:" + chunksTable + ":";
    }

    String gid(long n) {
        return tablePrefix(chunksTable) + subtask + ":" + run + ":" + n;
    }

    /** The subtask that prepared {@code gid}, if it is one of this sink's names. */
    static Optional<Integer> subtaskOf(String gid, String chunksTable) {
        Matcher m = GID.matcher(gid);
        return m.matches() && m.group(1).equals(chunksTable) ? Optional.of(Integer.parseInt(m.group(2))) : Optional.empty();
    }

    /** The name as a SQL literal; it is checked first because COMMIT PREPARED takes no parameters. */
    static String literal(String gid) {
        if (!GID.matcher(gid).matches()) {
            throw new IllegalArgumentException("not a ragstream transaction id: " + gid);
        }
        return "'" + gid + "'";
    }
}
