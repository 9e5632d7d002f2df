package io.ragstream.sink;

import java.util.List;

/**
 * What a sink subtask wrote between two checkpoints: the documents, for the status topic once they
 * are committed, and in exactly-once mode the transaction PostgreSQL holds prepared for them until
 * the checkpoint completes ({@code preparedTransaction} is null when the writer committed them
 * itself, as the idempotent one does).
 */
record SinkCommittable(String preparedTransaction, List<DocumentStatus> documents) {}
