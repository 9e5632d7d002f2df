package io.ragstream.corpus;

import io.ragstream.ingest.DocumentEvent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/** A document read from a file, ready to publish as a document event. */
public record CorpusDocument(String tenant, String id, String title, String text, String metadata) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String key() {
        return tenant + "/" + id;
    }

    /** The text the job chunks for this document (its title and text, as the job joins them). */
    public String content() {
        return new DocumentEvent(tenant, id, null, DocumentEvent.Op.UPSERT, title, text, "{}")
                .content();
    }

    /** The event in DESIGN.md's document format. */
    public byte[] toEventJson() {
        ObjectNode node =
                JSON.createObjectNode().put("tenant", tenant).put("id", id).put("op", "upsert");
        if (title != null) {
            node.put("title", title);
        }
        node.put("text", text);
        try {
            node.set("metadata", JSON.readTree(metadata == null ? "{}" : metadata));
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "metadata of " + key() + " is not JSON: " + metadata, e);
        }
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
