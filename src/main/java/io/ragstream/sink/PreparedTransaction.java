package io.ragstream.sink;

/**
 * The committable of the exactly-once sink: one transaction PostgreSQL holds prepared under
 * {@code gid} until the checkpoint that covers its writes completes.
 */
record PreparedTransaction(String gid) {}
