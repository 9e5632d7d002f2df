package io.ragstream.chunk;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits text into chunks of at most {@code maxTokens}: the text is cut into pieces that fit,
 * by paragraphs first, then sentences, then words, then (for a word longer than a chunk)
 * characters; the pieces are then packed in order into as few chunks as fit. The same text
 * always gives the same chunks.
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
    private final TokenCounter tokens;

    public Chunker(int maxTokens, TokenCounter tokens) {
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be > 0, was " + maxTokens);
        }
        this.maxTokens = maxTokens;
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
            cut(trimmed, 0, JOINERS[0], pieces);
        }
        return pack(pieces);
    }

    /** A piece that fits in a chunk, with what joins it to the piece before. */
    private record Piece(String text, int tokens, String joiner) {}

    private void cut(String text, int level, String joiner, List<Piece> out) {
        int count = tokens.count(text);
        if (count <= maxTokens) {
            out.add(new Piece(text, count, joiner));
        } else if (level == SEPARATORS.length) {
            cutCharacters(text, joiner, out);
        } else {
            String next = joiner;
            for (String part : SEPARATORS[level].split(text)) {
                if (!part.isBlank()) {
                    cut(part.strip(), level + 1, next, out);
                    next = JOINERS[level];
                }
            }
        }
    }

    /** A single "word" longer than a chunk (a URL, a base64 blob): cut it where it fits. */
    private void cutCharacters(String text, String joiner, List<Piece> out) {
        int start = 0;
        while (start < text.length()) {
            int lo = start + 1;
            int hi = text.length();
            while (lo < hi) { // the longest prefix that fits
                int mid = (lo + hi + 1) >>> 1;
                if (tokens.count(text.substring(start, mid)) <= maxTokens) {
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
        for (Piece piece : pieces) {
            if (current.length() > 0 && currentTokens + piece.tokens() > maxTokens) {
                chunks.add(current.toString());
                current.setLength(0);
                currentTokens = 0;
            }
            if (current.length() > 0) {
                current.append(piece.joiner());
            }
            current.append(piece.text());
            currentTokens += piece.tokens();
        }
        if (current.length() > 0) {
            chunks.add(current.toString());
        }
        return chunks;
    }
}
