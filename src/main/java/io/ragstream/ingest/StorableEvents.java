package io.ragstream.ingest;

import io.ragstream.ingest.DeadLetter.Reason;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Whatever a parser lets through, the sink can write: the one place that holds an event to what
 * PostgreSQL, its indexes and jsonb accept (README "Bad input").
 *
 * <ul>
 *   <li>Ids and tenants are never changed: a NUL or an unpaired surrogate in one, or one longer
 *       than {@code ingest.max-id-bytes}, is a dead letter.
 *   <li>Title and text: a NUL is removed and an unpaired surrogate becomes U+FFFD, counted; text
 *       with no character the tokenizer reads (only controls, zero-width or combining marks) is
 *       {@link Reason#EMPTY_TEXT}.
 *   <li>Metadata: a NUL or unpaired surrogate anywhere (jsonb refuses {@code \u0000}), more than
 *       {@code ingest.max-metadata-bytes} or nesting deeper than {@code ingest.max-metadata-depth}
 *       is a dead letter.
 *   <li>Versions above {@link DocumentEvent#MAX_VERSION} leave no room for a newer one: dead
 *       letter.
 * </ul>
 */
public final class StorableEvents {

    private StorableEvents() {}

    /**
     * The event as it will be stored, and how many characters of its title and text were replaced.
     */
    public record Checked(DocumentEvent event, int charactersReplaced) {}

    public static Checked check(DocumentEvent event, IngestLimits limits) throws BadInputException {
        checkKeyPart("tenant", event.tenant(), limits);
        checkKeyPart("id", event.id(), limits);
        if (event.version() != null
                && (event.version() < 0 || event.version() > DocumentEvent.MAX_VERSION)) {
            throw new BadInputException(
                    Reason.VERSION_OUT_OF_RANGE,
                    "version "
                            + event.version()
                            + " is outside 0.."
                            + DocumentEvent.MAX_VERSION
                            + ": it would leave no room for a newer one");
        }
        if (event.metadata().length() > limits.maxMetadataBytes()
                || event.metadata().getBytes(StandardCharsets.UTF_8).length
                        > limits.maxMetadataBytes()) {
            throw new BadInputException(
                    Reason.METADATA_TOO_LARGE,
                    "'metadata' is more than ingest.max-metadata-bytes="
                            + limits.maxMetadataBytes()
                            + " bytes");
        }
        String title = storableText(event.title());
        String text = storableText(event.text());
        int replaced = unstorableCount(event.title()) + unstorableCount(event.text());
        DocumentEvent stored = replaced == 0 ? event : event.withTitleAndText(title, text);
        if (stored.op() == DocumentEvent.Op.UPSERT && !hasReadableCharacter(stored.content())) {
            throw new BadInputException(
                    Reason.EMPTY_TEXT,
                    "the text has no character the model reads (only spaces, controls, zero-width or combining marks)");
        }
        return new Checked(stored, replaced);
    }

    /** Metadata as parsed: depth and characters; its size is checked on the text it becomes. */
    static void checkMetadata(JsonNode metadata, IngestLimits limits) throws BadInputException {
        checkMetadata(metadata, 1, limits.maxMetadataDepth());
    }

    private static void checkMetadata(JsonNode node, int depth, int maxDepth)
            throws BadInputException {
        if (node.isContainerNode() && depth > maxDepth) {
            throw new BadInputException(
                    Reason.METADATA_TOO_LARGE,
                    "'metadata' nests deeper than ingest.max-metadata-depth=" + maxDepth);
        }
        if (node.isTextual()) {
            checkMetadataString(node.textValue());
        } else if (node.isBigDecimal()
                && Math.abs((long) node.decimalValue().precision() - node.decimalValue().scale())
                        > 1000) {
            throw new BadInputException(
                    Reason.METADATA_TOO_LARGE,
                    "'metadata' holds a number beyond what jsonb stores ("
                            + abbreviated(node.decimalValue().toString())
                            + ")");
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                checkMetadataString(field.getKey());
                checkMetadata(field.getValue(), depth + 1, maxDepth);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                checkMetadata(element, depth + 1, maxDepth);
            }
        }
    }

    private static String abbreviated(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static void checkMetadataString(String s) throws BadInputException {
        int bad = firstUnstorable(s);
        if (bad >= 0) {
            throw new BadInputException(
                    Reason.UNSTORABLE_CHARACTER,
                    "'metadata' holds "
                            + describe(s, bad)
                            + ", which PostgreSQL's jsonb cannot store");
        }
    }

    private static void checkKeyPart(String field, String value, IngestLimits limits)
            throws BadInputException {
        int bad = firstUnstorable(value);
        if (bad >= 0) {
            throw new BadInputException(
                    Reason.UNSTORABLE_CHARACTER,
                    "'"
                            + field
                            + "' holds "
                            + describe(value, bad)
                            + " at index "
                            + bad
                            + ", which PostgreSQL cannot store; ids and tenants are never changed");
        }
        // a UTF-16 unit never takes more than 3 bytes: most values need no encoding to know
        if (value.length() * 3 > limits.maxIdBytes()) {
            int bytes = value.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > limits.maxIdBytes()) {
                throw new BadInputException(
                        Reason.ID_TOO_LONG,
                        "'"
                                + field
                                + "' is "
                                + bytes
                                + " bytes in UTF-8, more than ingest.max-id-bytes="
                                + limits.maxIdBytes());
            }
        }
    }

    /** The index of the first NUL or unpaired surrogate, or -1. */
    static int firstUnstorable(String s) {
        return nextUnstorable(s, 0);
    }

    /** The index of the first NUL or unpaired surrogate at or after {@code from}, or -1. */
    private static int nextUnstorable(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (c == 0 || Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(String s, int index) {
        return s.charAt(index) == 0
                ? "a NUL character"
                : String.format("an unpaired surrogate (U+%04X)", (int) s.charAt(index));
    }

    /**
     * Without NULs, with U+FFFD for unpaired surrogates; the same string when there is nothing to
     * replace.
     */
    static String storableText(String s) {
        int bad = s == null ? -1 : nextUnstorable(s, 0);
        if (bad < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int from = 0;
        for (; bad >= 0; bad = nextUnstorable(s, from)) {
            out.append(s, from, bad);
            if (s.charAt(bad) != 0) {
                out.append('\uFFFD');
            }
            from = bad + 1;
        }
        return out.append(s, from, s.length()).toString();
    }

    /**
     * The NULs and unpaired surrogates of {@code s}: what {@link #storableText} removes or
     * replaces.
     */
    private static int unstorableCount(String s) {
        int count = 0;
        for (int bad = s == null ? -1 : nextUnstorable(s, 0);
                bad >= 0;
                bad = nextUnstorable(s, bad + 1)) {
            count++;
        }
        return count;
    }

    /**
     * Whether any character is one the BERT tokenizer keeps: its normalizer drops whitespace,
     * U+FFFD and every "other" character (controls, format characters such as zero-width spaces,
     * private use, unassigned) and, after decomposition, non-spacing marks.
     */
    static boolean hasReadableCharacter(String s) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (Character.getType(cp)) {
                case Character.CONTROL,
                        Character.FORMAT,
                        Character.PRIVATE_USE,
                        Character.UNASSIGNED,
                        Character.SURROGATE,
                        Character.SPACE_SEPARATOR,
                        Character.LINE_SEPARATOR,
                        Character.PARAGRAPH_SEPARATOR,
                        Character.NON_SPACING_MARK -> {}
                default -> {
                    if (cp != 0xFFFD && !Character.isWhitespace(cp)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
