package io.ragstream.chunk;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
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
            cut(trimmed, tokens.count(trimmed), 0, JOINERS[0], pieces);
        }
        return pack(pieces);
    }

    /** A piece that fits in a chunk, with what joins it to the piece before. */
    private record Piece(String text, int tokens, String joiner) {}

    /** Pieces leave room for the overlap that may precede them in their chunk. */
    private int pieceLimit() {
        return maxTokens - overlapTokens;
    }

    /** {@code count}: the tokens of {@code text}, known already. */
    private void cut(String text, int count, int level, String joiner, List<Piece> out) {
        if (count <= pieceLimit()) {
            out.add(new Piece(text, count, joiner));
        } else if (level == SEPARATORS.length) {
            cutCharacters(text, joiner, out);
        } else {
            String next = joiner;
            for (String part : SEPARATORS[level].split(text)) {
                if (!part.isBlank()) {
                    String piece = part.strip();
                    // a text of one paragraph is that paragraph: tokenizing it again would count the same
                    cut(piece, piece.equals(text) ? count : tokens.count(piece), level + 1, next, out);
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
