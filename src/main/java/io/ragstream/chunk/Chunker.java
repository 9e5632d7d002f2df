package io.ragstream.chunk;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into chunks of at most {@code maxTokens} and at most {@code maxBytes} of UTF-8: the
 * text is cut into pieces that fit, by paragraphs first, then sentences, then words, then (for a
 * "word" longer than a chunk: a URL, base64, a script written without spaces) between code points;
 * the pieces are then packed in order into as few chunks as fit. With an overlap, each chunk after
 * the first starts with the last whole words (up to {@code overlapTokens}) of the chunk before, so
 * a sentence cut at a boundary keeps its context. The same text always gives the same chunks, in
 * time proportional to its length.
 */
public final class Chunker implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;

    private static final Pattern[] SEPARATORS = {
        Pattern.compile("\\n\\s*\\n"), // paragraphs
        Pattern.compile("(?<=[.!?;:])\\s+"), // sentences
        Pattern.compile("\\s+"), // words
    };

    /** What stands between two pieces cut at each level when they are packed together again. */
    private static final String[] JOINERS = {"\n\n", " ", " "};

    /** The default byte bound of a chunk (the default of {@code chunk.max-bytes}). */
    public static final int DEFAULT_MAX_BYTES = 8 * 1024;

    /** The smallest byte bound: a chunk must hold a few words of any script. */
    public static final int MIN_MAX_BYTES = 64;

    private final int maxTokens;
    private final int overlapTokens;
    private final int maxBytes;
    private final TokenCounter tokens;

    public Chunker(int maxTokens, TokenCounter tokens) {
        this(maxTokens, 0, tokens);
    }

    public Chunker(int maxTokens, int overlapTokens, TokenCounter tokens) {
        this(maxTokens, overlapTokens, DEFAULT_MAX_BYTES, tokens);
    }

    public Chunker(int maxTokens, int overlapTokens, int maxBytes, TokenCounter tokens) {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException(
                    "the byte bound must be at least " + MIN_MAX_BYTES + ", was " + maxBytes);
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be > 0, was " + maxTokens);
        }
        if (overlapTokens < 0 || overlapTokens * 2 > maxTokens) {
            throw new IllegalArgumentException(
                    "overlap must be between 0 and half the chunk size ("
                            + maxTokens / 2
                            + "), was "
                            + overlapTokens);
        }
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
        this.maxBytes = maxBytes;
        this.tokens = tokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int maxBytes() {
        return maxBytes;
    }

    @Override
    public void close() {
        tokens.close();
    }

    public List<String> split(String text) {
        List<Piece> pieces = new ArrayList<>();
        String trimmed = text.strip();
        if (!trimmed.isEmpty()) {
            TokenCounter.PartCounter parts = tokens.parts(trimmed);
            cut(
                    trimmed,
                    parts,
                    0,
                    trimmed.length(),
                    parts.count(0, trimmed.length()),
                    0,
                    JOINERS[0],
                    pieces);
        }
        return pack(pieces);
    }

    /**
     * A piece that fits in a chunk, its size, and what joins it to the piece before ("" inside a
     * word).
     */
    private record Piece(String text, int tokens, int bytes, String joiner) {
        Piece(String text, int tokens, String joiner) {
            this(text, tokens, Utf8.length(text), joiner);
        }
    }

    /** Pieces leave room for the overlap that may precede them in their chunk. */
    private int pieceLimit() {
        return maxTokens - overlapTokens;
    }

    /**
     * Cuts {@code text[from, to)}, of {@code count} tokens, at the separators of {@code level} and
     * below. Every cut is at whitespace, so {@code parts} counts each part without tokenizing it
     * again.
     */
    private void cut(
            String text,
            TokenCounter.PartCounter parts,
            int from,
            int to,
            int count,
            int level,
            String joiner,
            List<Piece> out) {
        if (count <= pieceLimit() && fitsBytes(text, from, to)) {
            out.add(new Piece(text.substring(from, to), count, joiner));
        } else if (level == SEPARATORS.length) {
            cutRun(text, parts, from, to, joiner, out);
        } else {
            String next = joiner;
            Matcher separator = SEPARATORS[level].matcher(text).region(from, to);
            int partStart = from;
            boolean more = true;
            while (more) {
                more = separator.find();
                int partEnd = more ? separator.start() : to;
                int start = skipWhitespace(text, partStart, partEnd);
                int end = trimWhitespace(text, start, partEnd);
                if (start < end) {
                    // a text of one paragraph is that paragraph: its count is known
                    int partCount = start == from && end == to ? count : parts.count(start, end);
                    cut(text, parts, start, end, partCount, level + 1, next, out);
                    next = JOINERS[level];
                }
                if (more) {
                    partStart = separator.end();
                }
            }
        }
    }

    /**
     * The first index in {@code [from, to)} that is not whitespace, as {@link String#strip()} sees
     * it, or {@code to}.
     */
    private static int skipWhitespace(String text, int from, int to) {
        while (from < to && Character.isWhitespace(text.codePointAt(from))) {
            from += Character.charCount(text.codePointAt(from));
        }
        return from;
    }

    /** The end of {@code [from, to)} without its trailing whitespace. */
    private static int trimWhitespace(String text, int from, int to) {
        while (to > from && Character.isWhitespace(text.codePointBefore(to))) {
            to -= Character.charCount(text.codePointBefore(to));
        }
        return to;
    }

    private boolean fitsBytes(String text, int from, int to) {
        return (to - from) * 3L <= maxBytes
                || Utf8.length(text, from, to) <= maxBytes; // no char takes more than 3
    }

    /**
     * A run without whitespace that does not fit in a piece (a URL, base64, minified code, Chinese
     * or Thai): cut it into pieces that fit, each as long as the counter's {@link
     * TokenCounter.PartCounter#fit} finds and the byte bound allows, between code points. A cut
     * inside a word may tokenize differently on its own, so each piece is counted again and, in the
     * rare case it has grown, shortened. Every step looks only at the piece it makes, so the run is
     * cut in time proportional to its length.
     */
    private void cutRun(
            String text,
            TokenCounter.PartCounter parts,
            int from,
            int to,
            String joiner,
            List<Piece> out) {
        String next = joiner;
        int start = from;
        while (start < to) {
            // no prefix of more than maxBytes chars fits in maxBytes bytes: that bounds the search
            int window = (int) Math.min(to, (long) start + maxBytes);
            int end = Utf8.prefixEnd(text, start, parts.fit(start, window, pieceLimit()), maxBytes);
            end = trimWhitespace(text, start, CutPoints.before(text, start, end));
            String piece = text.substring(start, end);
            int count = tokens.count(piece);
            while (count > pieceLimit()
                    && end - start > Character.charCount(text.codePointAt(start))) {
                end = trimWhitespace(text, start, shorter(text, start, end, piece));
                piece = text.substring(start, end);
                count = tokens.count(piece);
            }
            out.add(new Piece(piece, count, next));
            start =
                    skipWhitespace(
                            text, end, to); // a run may hold whitespace that \s does not match
            next = start == end ? "" : " ";
        }
    }

    /**
     * A cut before {@code end} for a piece that counted more than fits once tokenized on its own.
     */
    private int shorter(String text, int start, int end, String piece) {
        int cut =
                CutPoints.before(
                        text,
                        start,
                        start + tokens.parts(piece).fit(0, piece.length(), pieceLimit()));
        return cut < end ? cut : CutPoints.before(text, start, start + (end - start) / 2);
    }

    /**
     * Greedy packing; WordPiece counts add up across whitespace, so the sum bounds a chunk. Two
     * pieces of one cut word, joined again, are counted together: they may tokenize differently.
     */
    private List<String> pack(List<Piece> pieces) {
        List<String> chunks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int currentTokens = 0;
        int currentBytes = 0;
        boolean hasNewText = false; // a chunk of nothing but overlap is not a chunk
        for (Piece piece : pieces) {
            int joinedTokens = currentTokens + piece.tokens();
            boolean bytesFit = currentBytes + piece.joiner().length() + piece.bytes() <= maxBytes;
            if (hasNewText && piece.joiner().isEmpty() && joinedTokens <= maxTokens && bytesFit) {
                joinedTokens = tokens.count(current + piece.text());
            }
            if (hasNewText && (joinedTokens > maxTokens || !bytesFit)) {
                String chunk = current.toString();
                chunks.add(chunk);
                current.setLength(0);
                String overlap = overlapOf(chunk);
                if (Utf8.length(overlap) + 1 + piece.bytes()
                        <= maxBytes) { // long words may leave no room
                    current.append(overlap);
                }
                currentTokens = current.length() == 0 ? 0 : tokens.count(current.toString());
                currentBytes = Utf8.length(current);
                joinedTokens = currentTokens + piece.tokens();
                hasNewText = false;
            }
            String joiner = current.length() == 0 ? "" : hasNewText ? piece.joiner() : " ";
            current.append(joiner).append(piece.text());
            currentTokens = joinedTokens;
            currentBytes += joiner.length() + piece.bytes();
            hasNewText = true;
        }
        if (hasNewText) {
            chunks.add(current.toString());
        }
        return chunks;
    }

    /** The last whole words of a chunk that fit in the overlap. */
    private String overlapOf(String chunk) {
        if (overlapTokens == 0) {
            return "";
        }
        String[] words = chunk.split("\\s+");
        int from = words.length;
        int used = 0;
        while (from > 1) { // never the whole chunk
            int next = tokens.count(words[from - 1]);
            if (used + next > overlapTokens) {
                break;
            }
            used += next;
            from--;
        }
        return String.join(" ", java.util.Arrays.asList(words).subList(from, words.length));
    }
}
