package io.ragstream.chunk;

/**
 * Where a run of text without whitespace may be cut: between code points, and not inside a grapheme
 * if cheap.
 */
final class CutPoints {

    /** A cut looks back at most this many code points for the base of combining marks. */
    private static final int MAX_MARKS = 32;

    private CutPoints() {}

    /**
     * The nearest acceptable cut at or before {@code end}, in {@code (from, end]}: never between
     * the two halves of a surrogate pair, and not between a base character and the combining marks
     * after it unless they run on for more than {@value #MAX_MARKS} code points (or back to {@code
     * from}). When even that leaves nothing, the piece is the first code point (whole, even if it
     * ends after {@code end}).
     */
    static int before(CharSequence text, int from, int end) {
        int cut = end;
        if (cut > from
                && cut < text.length()
                && Character.isLowSurrogate(text.charAt(cut))
                && Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        int base = beforeMarks(text, from, cut);
        cut = base > from ? base : cut;
        if (cut <= from) {
            cut = from + Character.charCount(Character.codePointAt(text, from));
        }
        return cut;
    }

    /**
     * {@code cut} moved back before the base of the combining marks that follow it, or {@code
     * from}.
     */
    private static int beforeMarks(CharSequence text, int from, int cut) {
        int at = cut;
        for (int looked = 0;
                at > from && at < text.length() && isMark(Character.codePointAt(text, at));
                looked++) {
            if (looked == MAX_MARKS) {
                return from;
            }
            at -= Character.charCount(Character.codePointBefore(text, at));
        }
        return at;
    }

    private static boolean isMark(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.NON_SPACING_MARK
                || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK;
    }
}
