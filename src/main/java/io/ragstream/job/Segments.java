package io.ragstream.job;

/**
 * Where a long text may be cut to be tokenized in pieces: a BERT tokenizer takes longer per
 * character on a text of megabytes than on pieces of it, and holds all its tokens at once. A cut
 * before whitespace, ASCII punctuation or a CJK ideograph is a word boundary for BERT, so the
 * pieces give the tokens the whole text gives. Only a stretch of {@code size / 2} characters
 * without one (Thai without spaces, a vast base64 blob) is cut inside a word: that word is longer
 * than WordPiece reads and was one {@code [UNK]}, and its two parts now count at least one token
 * each, more than it has, never fewer.
 */
final class Segments {

    private Segments() {}

    /**
     * The end of the segment that starts at {@code start}: at most {@code size} characters on,
     * unless that splits a pair.
     */
    static int end(String text, int start, int size) {
        if (text.length() - start <= size) {
            return text.length();
        }
        int limit = start + size;
        for (int cut = limit; cut > start + size / 2; cut--) {
            if (isWordBoundaryBefore(text.charAt(cut))) {
                return cut;
            }
        }
        return Character.isLowSurrogate(text.charAt(limit))
                        && Character.isHighSurrogate(text.charAt(limit - 1))
                ? limit - 1
                : limit;
    }

    private static boolean isWordBoundaryBefore(char c) {
        return c == ' '
                || c == '\n'
                || c == '\t'
                || c == '\r'
                || c > ' '
                        && c < 0x7F
                        && !Character.isLetterOrDigit(c) // ASCII punctuation: BERT isolates it
                || c >= 0x4E00 && c <= 0x9FFF; // CJK ideographs: BERT isolates them
    }
}
