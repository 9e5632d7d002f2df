package io.ragstream.chunk;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into chunks of at most {@code maxTokens}: the text is cut into pieces that fit,
 * by paragraphs first, then sentences, then words, then (for a word longer than a chunk)
 * characters; the pieces are then packed in order into as few chunks as fit. With an overlap,
 * each chunk after the first starts with the last whole words (up to {@code overlapTokens}) of
 * the chunk before, so a sentence cut at a boundary keeps its context. The same text always
 * gives the same chunks.
 */
public final class Chunker implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;

    private static final Pattern[] SEPARATORS = {
        Pattern.compile("\\n\\s*\\n"),           // paragraphs
        Pattern.compile("(?<=[.!?;:])\\s+"),     // sentences
        Pattern.compile("\\s+"),                 // words
    };
    /** What stands between two pieces cut at each level when they are packed together again. */
    private static final String[] JOINERS = {"\n\n", " ", " "};

    private final int maxTokens;
    private final int overlapTokens;
    private final TokenCounter tokens;

    public Chunker(int maxTokens, TokenCounter tokens) {
        this(maxTokens, 0, tokens);
    }

    public Chunker(int maxTokens, int overlapTokens, TokenCounter tokens) {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be > 0, was " + maxTokens);
        }
        if (overlapTokens < 0 || overlapTokens * 2 > maxTokens) {
            throw new IllegalArgumentException("overlap must be between 0 and half the chunk size ("
                    + maxTokens / 2 + "), was " + overlapTokens);
        }
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
        this.tokens = tokens;
    }

    public int maxTokens() {
        return maxTokens;
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
            cut(trimmed, parts, 0, trimmed.length(), parts.count(0, trimmed.length()), 0, JOINERS[0], pieces);
        }
        return pack(pieces);
    }

    /** A piece that fits in a chunk, with what joins it to the piece before. */
    private record Piece(String text, int tokens, String joiner) {}

    /** Pieces leave room for the overlap that may precede them in their chunk. */
    private int pieceLimit() {
        return maxTokens - overlapTokens;
    }

    /**
     * Cuts {@code text[from, to)}, of {@code count} tokens, at the separators of {@code level}
     * and below. Every cut is at whitespace, so {@code parts} counts each part without
     * tokenizing it again.
     */
    private void cut(String text, TokenCounter.PartCounter parts, int from, int to, int count, int level,
            String joiner, List<Piece> out) {
        if (count <= pieceLimit()) {
            out.add(new Piece(text.substring(from, to), count, joiner));
        } else if (level == SEPARATORS.length) {
            cutCharacters(text.substring(from, to), joiner, out);
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

    /** The first index in {@code [from, to)} that is not whitespace, as {@link String#strip()} sees it, or {@code to}. */
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

    /** A single "word" longer than a chunk (a URL, a base64 blob): cut it where it fits. */
    private void cutCharacters(String text, String joiner, List<Piece> out) {
        int start = 0;
        while (start < text.length()) {
            int lo = start + 1;
            int hi = text.length();
            while (lo < hi) { // the longest prefix that fits
                int mid = (lo + hi + 1) >>> 1;
                if (tokens.count(text.substring(start, mid)) <= pieceLimit()) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            String part = text.substring(start, lo);
            out.add(new Piece(part, tokens.count(part), start == 0 ? joiner : ""));
            start = lo;
        }
    }

    /** Greedy packing; WordPiece counts add up across whitespace, so the sum bounds a chunk. */
    private List<String> pack(List<Piece> pieces) {
        List<String> chunks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int currentTokens = 0;
        boolean hasNewText = false; // a chunk of nothing but overlap is not a chunk
        for (Piece piece : pieces) {
            if (hasNewText && currentTokens + piece.tokens() > maxTokens) {
                String chunk = current.toString();
                chunks.add(chunk);
                current.setLength(0);
                current.append(overlapOf(chunk));
                currentTokens = current.length() == 0 ? 0 : tokens.count(current.toString());
                hasNewText = false;
            }
            if (current.length() > 0) {
                current.append(hasNewText ? piece.joiner() : " ");
            }
            current.append(piece.text());
            currentTokens += piece.tokens();
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
