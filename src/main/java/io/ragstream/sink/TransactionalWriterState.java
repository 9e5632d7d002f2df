package io.ragstream.sink;

import io.ragstream.chunk.DocumentUpdate;

import java.util.List;

/**
 * What one exactly-once writer subtask checkpoints: the prefix of its transactions' names, the
 * transactions it prepared that were not known committed (the committer finishes them after a
 * restore; any other of its prepared transactions is rolled back) and the updates it could not
 * write yet because an earlier transaction of its own still held their rows.
 *
 * @param prefix null in the state of a version before it was kept, when no prepared name tells it
 */
record TransactionalWriterState(
        String prefix, int subtask, List<String> prepared, List<DocumentUpdate> unwritten) {}
