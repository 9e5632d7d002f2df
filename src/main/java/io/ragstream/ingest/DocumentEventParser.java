package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;
import io.ragstream.ingest.DocumentEvent.Op;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Turns the bytes of a document event (DESIGN.md "Inputs") into a {@link DocumentEvent}. */
public final class DocumentEventParser implements EventParser {
    private static final long serialVersionUID = 1L;

    /**
     * Trailing data after the object is an error: otherwise a second document would vanish
     * unnoticed.
     */
    /**
     * Decimals stay exact, as written: a double would turn 1e400 into Infinity, which jsonb
     * refuses. A field given twice is an error: which "id" the producer meant is anyone's guess.
     */
    private static final ObjectMapper JSON =
            new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final IngestLimits limits;

    public DocumentEventParser(IngestLimits limits) {
        this.limits = limits;
    }

    public DocumentEventParser(int maxDocumentBytes) {
        this(IngestLimits.defaults().withMaxDocumentBytes(maxDocumentBytes));
    }

    @Override
    public DocumentEvent parse(byte[] key, byte[] value) throws BadInputException {
        if (value == null) {
            return tombstone(key);
        }
        checkSize(value, limits);
        JsonNode node = readJson(value);
        if (!node.isObject()) {
            throw new BadInputException(
                    Reason.NOT_AN_OBJECT, "expected a JSON object, got " + node.getNodeType());
        }
        String tenant = optionalText(node, "tenant");
        String id =
                requiredId(
                        node,
                        node.has("id") || !node.has("_id") ? "id" : "_id"); // "_id": BEIR corpora
        Op op = op(optionalText(node, "op"));
        Long version = version(node.get("version"));
        String title = optionalText(node, "title");
        String text = optionalText(node, "text");
        if (op == Op.UPSERT && (text == null || text.isBlank())) {
            throw new BadInputException(Reason.EMPTY_TEXT, "an upsert needs a non-empty 'text'");
        }
        return new DocumentEvent(
                limits.tenantOrDefault(tenant, "the event"),
                id,
                version,
                op,
                title,
                text,
                metadata(node.get("metadata"), limits));
    }

    static void checkSize(byte[] value, IngestLimits limits) throws BadInputException {
        if (value.length > limits.maxDocumentBytes()) {
            throw new BadInputException(
                    Reason.TOO_LARGE,
                    value.length
                            + " bytes, more than ingest.max-document-bytes="
                            + limits.maxDocumentBytes());
        }
    }

    /**
     * A null value deletes the document its key names: {@code tenant/id} (the first {@code /} ends
     * the tenant), a bare {@code id}, or, for a tenant holding {@code /}, a JSON object {@code
     * {"tenant": "a/b", "id": "c"}}.
     */
    private DocumentEvent tombstone(byte[] key) throws BadInputException {
        if (key == null || key.length == 0) {
            throw new BadInputException(
                    Reason.MISSING_KEY, "a tombstone (null value) needs a key tenant/id");
        }
        String k = utf8(key);
        if (k.startsWith("{")) {
            JsonNode node = readJson(k);
            if (node.isObject() && node.has("id")) {
                return new DocumentEvent(
                        limits.tenantOrDefault(optionalText(node, "tenant"), "tombstone key"),
                        requiredId(node, "id"),
                        null,
                        Op.DELETE,
                        null,
                        null,
                        "{}");
            }
        }
        int slash = k.indexOf('/');
        String tenant = slash > 0 ? k.substring(0, slash) : null;
        String id = slash > 0 ? k.substring(slash + 1) : k;
        if (id.isEmpty()) {
            throw new BadInputException(
                    Reason.MISSING_ID, "tombstone key '" + k + "' names no document");
        }
        return new DocumentEvent(
                limits.tenantOrDefault(tenant, "tombstone key '" + k + "'"),
                id,
                null,
                Op.DELETE,
                null,
                null,
                "{}");
    }

    static String utf8(byte[] bytes) throws BadInputException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(Reason.INVALID_UTF8, "not valid UTF-8: " + e.getMessage());
        }
    }

    /**
     * A record's key or value as JSON. One that starts with byte 0 is no JSON at all but a Schema
     * Registry record (Avro, Protobuf, JSON Schema: byte 0, then a 4-byte schema id), what a
     * Debezium connector writes with Confluent's converters: its letter says what to change.
     */
    static JsonNode readJson(byte[] bytes) throws BadInputException {
        if (bytes.length >= 5 && bytes[0] == 0) {
            throw new BadInputException(
                    Reason.MALFORMED_JSON,
                    "starts with byte 0 and schema id "
                            + ByteBuffer.wrap(bytes, 1, 4).getInt()
                            + ", as a Schema Registry record (Avro, Protobuf, JSON Schema) does;"
                            + " ragstream reads plain JSON: give the producer (a Debezium"
                            + " connector's key.converter and value.converter)"
                            + " org.apache.kafka.connect.json.JsonConverter");
        }
        return readJson(utf8(bytes));
    }

    static JsonNode readJson(String text) throws BadInputException {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new BadInputException(Reason.MALFORMED_JSON, "empty value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BadInputException(Reason.MALFORMED_JSON, e.getOriginalMessage());
        }
    }

    static String optionalText(JsonNode node, String field) throws BadInputException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new BadInputException(
                    Reason.WRONG_TYPE, "'" + field + "' must be a string, got " + v.getNodeType());
        }
        return v.textValue();
    }

    /** Ids may be strings or integers (CDC rows often have numeric keys). */
    static String requiredId(JsonNode node, String field) throws BadInputException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.textValue().isEmpty())) {
            throw new BadInputException(Reason.MISSING_ID, "'" + field + "' is missing");
        }
        if (v.isTextual() || v.isIntegralNumber()) {
            return v.asText();
        }
        throw new BadInputException(
                Reason.WRONG_TYPE,
                "'" + field + "' must be a string or an integer, got " + v.getNodeType());
    }

    private static Op op(String op) throws BadInputException {
        if (op == null || op.equalsIgnoreCase("upsert")) {
            return Op.UPSERT;
        }
        if (op.equalsIgnoreCase("delete")) {
            return Op.DELETE;
        }
        throw new BadInputException(
                Reason.UNKNOWN_OP, "op '" + op + "' is neither upsert nor delete");
    }

    private static Long version(JsonNode v) throws BadInputException {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.canConvertToExactIntegral() && v.canConvertToLong() && v.asLong() >= 0) {
            return v.asLong();
        }
        throw new BadInputException(
                Reason.WRONG_TYPE, "'version' must be a non-negative integer, got " + v);
    }

    /** A JSON object, or a string holding one; anything else is a wrong type. */
    static String metadata(JsonNode v, IngestLimits limits) throws BadInputException {
        if (v == null || v.isNull()) {
            return "{}";
        }
        if (v.isTextual() && v.textValue().length() > limits.maxMetadataBytes()) {
            throw new BadInputException(
                    Reason.METADATA_TOO_LARGE,
                    "'metadata' is more than ingest.max-metadata-bytes="
                            + limits.maxMetadataBytes()
                            + " bytes");
        }
        JsonNode object = v.isTextual() ? readJson(v.textValue()) : v;
        if (!object.isObject()) {
            throw new BadInputException(
                    Reason.WRONG_TYPE,
                    "'metadata' must be a JSON object, got " + object.getNodeType());
        }
        StorableEvents.checkMetadata(object, limits);
        return object.toString();
    }
}
