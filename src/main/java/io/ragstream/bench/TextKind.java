package io.ragstream.bench;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/**
 * Texts that a chunker once took quadratic time on: scripts written without spaces, code and data
 * without whitespace, words the tokenizer reads as one {@code [UNK]}, and one character beyond 16
 * bits before a long text. Each is generated from a fixed seed, so a size always gives the same
 * text.
 */
public enum TextKind {
    CHINESE("Chinese without spaces") {
        @Override
        void append(Random random, StringBuilder text) {
            appendCodePoints(random, text, 0x4E00, 0x62FF, 8 + random.nextInt(30));
            text.append(random.nextInt(4) == 0 ? '。' : '，');
        }
    },
    JAPANESE("Japanese without spaces") {
        @Override
        void append(Random random, StringBuilder text) {
            appendCodePoints(random, text, 0x4E00, 0x5FFF, 1 + random.nextInt(3)); // kanji
            appendCodePoints(random, text, 0x3041, 0x3096, 2 + random.nextInt(5)); // hiragana
            if (random.nextInt(3) == 0) {
                appendCodePoints(random, text, 0x30A1, 0x30FA, 2 + random.nextInt(6)); // katakana
            }
            text.append(random.nextInt(5) == 0 ? '。' : random.nextInt(3) == 0 ? "、" : "");
        }
    },
    THAI("Thai without spaces") {
        private static final String MARKS =
                "\u0E31\u0E34\u0E35\u0E36\u0E37\u0E38\u0E39\u0E48\u0E49\u0E4A\u0E4B";
        private static final String VOWELS = "\u0E30\u0E32\u0E33\u0E40\u0E41\u0E42\u0E43\u0E44";

        @Override
        void append(Random random, StringBuilder text) {
            appendCodePoints(random, text, 0x0E01, 0x0E2E, 1);
            if (random.nextInt(3) == 0) { // a vowel or tone mark above or below: a combining mark
                text.append(MARKS.charAt(random.nextInt(MARKS.length())));
            } else if (random.nextInt(3) == 0) {
                text.append(VOWELS.charAt(random.nextInt(VOWELS.length())));
            }
        }
    },
    MINIFIED_JS("minified JavaScript") {
        @Override
        void append(Random random, StringBuilder text) {
            String name = identifier(random);
            switch (random.nextInt(4)) {
                case 0 ->
                        text.append("function ")
                                .append(name)
                                .append('(')
                                .append(identifier(random))
                                .append(',')
                                .append(identifier(random))
                                .append("){return ")
                                .append(identifier(random))
                                .append('*')
                                .append(random.nextInt(1000))
                                .append('+')
                                .append(identifier(random))
                                .append(";}");
                case 1 ->
                        text.append("var ")
                                .append(name)
                                .append("={\"")
                                .append(identifier(random))
                                .append("\":")
                                .append(random.nextInt(100000))
                                .append(",\"")
                                .append(identifier(random))
                                .append("\":\"")
                                .append(identifier(random))
                                .append(identifier(random))
                                .append("\",\"ok\":true};");
                case 2 ->
                        text.append("if(")
                                .append(name)
                                .append(".length>")
                                .append(random.nextInt(64))
                                .append("){")
                                .append(identifier(random))
                                .append(".push(")
                                .append(name)
                                .append(".slice(")
                                .append(random.nextInt(9))
                                .append("))}else{")
                                .append(identifier(random))
                                .append("=null}");
                default ->
                        text.append(name)
                                .append("=[")
                                .append(random.nextInt(256))
                                .append(',')
                                .append(random.nextInt(256))
                                .append(',')
                                .append(random.nextInt(256))
                                .append("].map(function(")
                                .append(identifier(random))
                                .append("){return ")
                                .append(identifier(random))
                                .append("<<2});");
            }
        }
    },
    BASE64("base64 of random bytes") {
        @Override
        void append(Random random, StringBuilder text) {
            byte[] bytes = new byte[3 * 1024];
            random.nextBytes(bytes);
            text.append(Base64.getEncoder().encodeToString(bytes));
        }
    },
    EMOJI_THEN_WORDS("one emoji, then English-like words") {
        @Override
        void append(Random random, StringBuilder text) {
            if (text.isEmpty()) {
                text.append("\uD83D\uDE00 ");
            }
            for (int i = 1 + random.nextInt(12); i > 0; i--) {
                text.append(identifier(random).toLowerCase()).append(' ');
            }
            text.setCharAt(text.length() - 1, '.');
            text.append(random.nextInt(8) == 0 ? "\n\n" : " ");
        }
    },
    LONG_WORDS("2,000-character words between spaces") {
        @Override
        void append(Random random, StringBuilder text) {
            appendCodePoints(random, text, 'a', 'z', 2000);
            text.append(' ');
        }
    };

    private final String description;

    TextKind(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** About {@code utf8Bytes} of this kind (a few bytes more or less), the same text each time. */
    public String generate(int utf8Bytes) {
        Random random = new Random(31L * ordinal() + utf8Bytes);
        StringBuilder text = new StringBuilder();
        int bytes = 0;
        while (bytes < utf8Bytes) {
            int before = text.length();
            append(random, text);
            bytes += text.substring(before).getBytes(StandardCharsets.UTF_8).length;
        }
        return text.toString();
    }

    /** Appends the next bit of text: a sentence, a statement, a block. */
    abstract void append(Random random, StringBuilder text);

    private static void appendCodePoints(
            Random random, StringBuilder text, int first, int last, int count) {
        for (int i = 0; i < count; i++) {
            text.appendCodePoint(first + random.nextInt(last - first + 1));
        }
    }

    private static String identifier(Random random) {
        StringBuilder name = new StringBuilder();
        name.append((char) ('a' + random.nextInt(26)));
        for (int i = random.nextInt(9); i > 0; i--) {
            int c = random.nextInt(36);
            name.append(c < 26 ? (char) ('a' + c) : (char) ('0' + c - 26));
        }
        return random.nextInt(4) == 0
                ? Character.toUpperCase(name.charAt(0)) + name.substring(1)
                : name.toString();
    }
}
