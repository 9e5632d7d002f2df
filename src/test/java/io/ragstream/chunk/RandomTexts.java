package io.ragstream.chunk;

import java.util.Random;

/** Random texts for property checks, the same for the same seed. */
public final class RandomTexts {

    private RandomTexts() {}

    /**
     * Any mix of scripts and whitespace: runs of letters, Chinese and Thai, combining marks,
     * characters beyond 16 bits, unpaired surrogates of both halves, and whitespace that {@code
     * \\s} does not match.
     */
    public static String unicode(Random random, int length) {
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            switch (random.nextInt(13)) {
                case 0 -> text.append(" \n\t".charAt(random.nextInt(3)));
                case 1 -> text.append(random.nextBoolean() ? "\n\n" : "\u3000");
                case 2 -> text.append(random.nextBoolean() ? "\u00a0" : "\u2003");
                case 3 -> text.append((char) (0x0300 + random.nextInt(0x70))); // combining marks
                case 4 -> text.appendCodePoint(0x1F600 + random.nextInt(0x50)); // emoji
                case 5 ->
                        text.appendCodePoint(
                                0x20000 + random.nextInt(0x1000)); // CJK beyond 16 bits
                case 6 ->
                        text.append(
                                (char) (0xD800 + random.nextInt(0x400))); // an unpaired high half
                case 7 ->
                        text.append(
                                (char) (0xDC00 + random.nextInt(0x400))); // an unpaired low half
                case 8 -> text.appendCodePoint(0x4E00 + random.nextInt(0x5000));
                case 9 -> text.appendCodePoint(0x0E01 + random.nextInt(0x2E));
                case 10 -> text.append(".,;:!?".charAt(random.nextInt(6)));
                default ->
                        appendLetters(
                                random,
                                text,
                                1 + random.nextInt(random.nextInt(10) == 0 ? 300 : 12));
            }
        }
        return text.toString();
    }

    private static void appendLetters(Random random, StringBuilder text, int count) {
        for (int i = 0; i < count; i++) {
            text.append((char) ('a' + random.nextInt(26)));
        }
    }
}
