package io.ragstream.ingest;

import java.io.Serializable;

/** Turns one record's key and value bytes into a document event, or says why it cannot. */
@FunctionalInterface
public interface EventParser extends Serializable {
    /**
     * @return the event, or null for a record that changes no document (a Debezium heartbeat, say)
     */
    DocumentEvent parse(byte[] key, byte[] value) throws BadInputException;
}
