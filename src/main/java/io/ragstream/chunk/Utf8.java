package io.ragstream.chunk;

/**
 * UTF-8 lengths of Java text without encoding it. An unpaired surrogate counts as 3 bytes, what an
 * encoder that keeps it would write (Java's own writes a 1-byte '?'), so the figure is never short
 * of what a chunk takes.
 */
final class Utf8 {

    private Utf8() {}

    static int length(CharSequence text) {
        return length(text, 0, text.length());
    }

    static int length(CharSequence text, int from, int to) {
        int bytes = 0;
        for (int i = from; i < to; i++) {
            bytes += charBytes(text, i, to);
            if (isPair(text, i, to)) {
                i++;
            }
        }
        return bytes;
    }

    /**
     * The farthest code point boundary {@code end <= to} such that {@code text[from, end)} takes at
     * most {@code maxBytes}. Looks at no more of the text than that prefix.
     */
    static int prefixEnd(CharSequence text, int from, int to, int maxBytes) {
        int bytes = 0;
        int i = from;
        while (i < to) {
            int next = bytes + charBytes(text, i, to);
            if (next > maxBytes) {
                break;
            }
            bytes = next;
            i += isPair(text, i, to) ? 2 : 1;
        }
        return i;
    }

    /** Bytes of the code point at {@code i}: a surrogate pair takes 4 for its two chars. */
    private static int charBytes(CharSequence text, int i, int to) {
        char c = text.charAt(i);
        if (c < 0x80) {
            return 1;
        } else if (c < 0x800) {
            return 2;
        }
        return isPair(text, i, to) ? 4 : 3;
    }

    private static boolean isPair(CharSequence text, int i, int to) {
        return Character.isHighSurrogate(text.charAt(i))
                && i + 1 < to
                && Character.isLowSurrogate(text.charAt(i + 1));
    }
}
