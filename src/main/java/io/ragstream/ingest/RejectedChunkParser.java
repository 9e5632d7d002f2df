package io.ragstream.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads the job's own dead letters back: a chunk a backend rejected for good ({@link
 * DeadLetter.Reason#BACKEND_REJECTED}) becomes an {@link DocumentEvent.Op#UNSTORED_TEXT} event of
 * its document, so the chunker stops taking that text as stored and embeds it again when the
 * document is re-published. Every other letter, and anything unreadable, changes nothing (null): a
 * letter of the dead-letter topic must never become a dead letter itself.
 */
public final class RejectedChunkParser implements EventParser {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public DocumentEvent parse(byte[] key, byte[] value) {
        try {
            JsonNode letter = value == null ? null : JSON.readTree(value);
            if (letter == null
                    || !DeadLetter.Reason.BACKEND_REJECTED
                            .name()
                            .equals(letter.path("reason").asText())
                    || !letter.path("key").isTextual()
                    || !letter.path("value").isTextual()
                    || letter.path("valueTruncated").asBoolean(false)) {
                return null;
            }
            String documentKey =
                    new String(
                            Base64.getDecoder().decode(letter.get("key").asText()),
                            StandardCharsets.UTF_8);
            String text =
                    new String(
                            Base64.getDecoder().decode(letter.get("value").asText()),
                            StandardCharsets.UTF_8);
            if (documentKey.indexOf('/') < 0) {
                return null;
            }
            return new DocumentEvent(
                    DocumentEvent.tenantOfKey(documentKey),
                    DocumentEvent.idOfKey(documentKey),
                    null,
                    DocumentEvent.Op.UNSTORED_TEXT,
                    null,
                    text,
                    "{}");
        } catch (
                Exception
                        e) { // IOException, IllegalArgumentException (base64): not a letter of ours
            return null;
        }
    }
}
