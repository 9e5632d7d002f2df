package io.ragstream.chunk;

import io.ragstream.bench.TextKind;

import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Chunker} through its public API only. Two deterministic token counters stand in for a
 * model's tokenizer: whitespace words, and "sub-words" (a word of n characters is ceil(n/4)
 * tokens), which makes a long word longer than a chunk.
 */
class ChunkerTest {

    /** One token per whitespace-separated word. */
    static final TokenCounter WORDS =
            text -> text.isBlank() ? 0 : text.strip().split("\\s+").length;

    /** ceil(length / 4) tokens per whitespace-separated word, like a sub-word tokenizer. */
    static final TokenCounter SUBWORDS =
            text -> {
                int tokens = 0;
                for (String word : text.strip().split("\\s+")) {
                    tokens += (word.length() + 3) / 4;
                }
                return tokens;
            };

    /** One token per code point that is not whitespace, like a tokenizer reading Chinese. */
    static final TokenCounter CODE_POINTS =
            text -> (int) text.codePoints().filter(c -> !Character.isWhitespace(c)).count();

    // ---------------------------------------------------------------- fixed examples

    @Test
    void aShortTextIsOneChunk() {
        Chunker chunker = new Chunker(10, WORDS);

        assertThat(chunker.split("Hello world. A short text."))
                .containsExactly("Hello world. A short text.");
        assertThat(chunker.split("  \n  Surrounding blanks are dropped.\n\n "))
                .containsExactly("Surrounding blanks are dropped.");
        assertThat(chunker.split("one two three four five six seven eight nine ten"))
                .as("exactly the limit")
                .hasSize(1);
    }

    @Test
    void aTextOfOneParagraphIsNotTokenizedTwice() {
        List<String> counted = new ArrayList<>();
        Chunker chunker =
                new Chunker(
                        7,
                        text -> {
                            counted.add(text);
                            return WORDS.count(text);
                        });

        assertThat(chunker.split("One two three four. Five six seven. Eight nine ten eleven."))
                .containsExactly("One two three four. Five six seven.", "Eight nine ten eleven.");
        assertThat(counted)
                .as("the whole text, then its sentences")
                .containsExactly(
                        "One two three four. Five six seven. Eight nine ten eleven.",
                        "One two three four.",
                        "Five six seven.",
                        "Eight nine ten eleven.");
    }

    @Test
    void anEmptyOrBlankTextHasNoChunks() {
        Chunker chunker = new Chunker(10, WORDS);

        assertThat(chunker.split("")).isEmpty();
        assertThat(chunker.split(" \n\n\t ")).isEmpty();
    }

    @Test
    void paragraphsArePackedTogetherUpToTheLimit() {
        Chunker chunker = new Chunker(10, WORDS);
        String text = "a b c\n\nd e f g\n\nh i j k l\n\nm n\n\no p q r s t u v w x";

        // 3+4 words fit, +5 would not; 5+2 fit, +10 would not; the last paragraph is exactly 10
        assertThat(chunker.split(text))
                .containsExactly("a b c\n\nd e f g", "h i j k l\n\nm n", "o p q r s t u v w x");
    }

    @Test
    void paragraphsSeparatedByBlankLinesWithSpacesAreStillParagraphs() {
        Chunker chunker = new Chunker(4, WORDS);

        assertThat(chunker.split("a b c\n   \nd e f\n\t\n\ng"))
                .containsExactly("a b c", "d e f\n\ng");
    }

    @Test
    void aParagraphOverTheLimitIsSplitAtSentences() {
        Chunker chunker = new Chunker(6, WORDS);
        String paragraph =
                "One two three. Four five six! Seven eight? Nine ten eleven twelve; thirteen.";

        // sentences of 3, 3, 2, 4 and 1 words (";" ends a sentence too), packed up to 6
        assertThat(chunker.split(paragraph))
                .containsExactly(
                        "One two three. Four five six!",
                        "Seven eight? Nine ten eleven twelve;",
                        "thirteen.");
    }

    @Test
    void aSentenceOverTheLimitIsSplitAtWords() {
        Chunker chunker = new Chunker(4, WORDS);

        assertThat(chunker.split("a b c d e f g h i j."))
                .containsExactly("a b c d", "e f g h", "i j.");
    }

    @Test
    void aSingleWordLongerThanAChunkIsCutByCharacters() {
        Chunker chunker = new Chunker(10, SUBWORDS); // at most 40 characters per word piece
        String word = "abcdefghij".repeat(10); // 100 characters: 25 tokens

        assertThat(chunker.split(word))
                .containsExactly(word.substring(0, 40), word.substring(40, 80), word.substring(80));
    }

    @Test
    void aLongWordInsideTextIsCutAndTheRestKept() {
        Chunker chunker = new Chunker(5, SUBWORDS); // 20 characters per piece
        String url = "https://example.com/" + "x".repeat(50);
        String text = "See " + url + " for more.";

        List<String> chunks = chunker.split(text);

        assertThat(chunks).allSatisfy(c -> assertThat(SUBWORDS.count(c)).isLessThanOrEqualTo(5));
        assertThat(String.join("", chunks).replaceAll("\\s+", ""))
                .isEqualTo(text.replaceAll("\\s+", ""));
        assertThat(chunks).anySatisfy(c -> assertThat(c).isEqualTo(url.substring(0, 20)));
    }

    @Test
    void aTitleParagraphIsPackedWithTheStartOfALongParagraphAfterIt() {
        Chunker chunker = new Chunker(8, WORDS);
        String body = "First sentence is here. Second one follows now. Third sentence ends it.";
        String text = "The Title\n\n" + body; // title 2 words, body 12 words in 3 sentences of 4

        List<String> chunks = chunker.split(text);

        assertThat(chunks).as("the title is not a chunk of its own").doesNotContain("The Title");
        assertThat(chunks.get(0)).startsWith("The Title").contains("First sentence is here.");
        assertThat(chunks).allSatisfy(c -> assertThat(WORDS.count(c)).isLessThanOrEqualTo(8));
        assertThat(words(chunks)).containsExactlyElementsOf(words(text));
    }

    @Test
    void aRunReadAsOneTokenIsCutAtTheByteBound() {
        Chunker chunker = new Chunker(10, 0, 100, WORDS); // a run without spaces is one token
        String thai =
                "\u0E01\u0E32".repeat(1000); // 3 bytes a character: 33 characters in 100 bytes

        List<String> chunks = chunker.split(thai);

        assertThat(chunks)
                .hasSize(61)
                .allSatisfy(
                        c ->
                                assertThat(c.getBytes(StandardCharsets.UTF_8))
                                        .hasSizeLessThanOrEqualTo(100));
        assertThat(chunks.get(0)).isEqualTo(thai.substring(0, 33));
        assertThat(String.join("", chunks)).isEqualTo(thai);
    }

    @Test
    void wordsArePackedUpToTheByteBound() {
        Chunker chunker = new Chunker(100, 0, 64, WORDS);
        String text = "abcdefghi ".repeat(40).strip(); // 9 bytes a word, 10 with its space

        List<String> chunks = chunker.split(text);

        assertThat(chunks).hasSize(7); // 6 words in 59 bytes; a 7th would make 69
        assertThat(chunks.subList(0, 6))
                .allSatisfy(c -> assertThat(c).isEqualTo(text.substring(0, 59)));
        assertThat(chunks.get(6)).isEqualTo(text.substring(0, 39));
    }

    @Test
    void aCutNeverSplitsASurrogatePairNorAMarkFromItsBase() {
        String emoji = "\uD83D\uDE00\uD83E\uDDEC".repeat(20); // 40 code points, 80 chars
        assertThat(new Chunker(3, CODE_POINTS).split(emoji))
                .hasSize(14)
                .allSatisfy(
                        c -> {
                            assertThat(c.codePoints())
                                    .allMatch(Character::isSupplementaryCodePoint);
                            assertThat(CODE_POINTS.count(c)).isLessThanOrEqualTo(3);
                        });

        String accented = "e\u0301".repeat(20); // é as e + a combining acute: two code points
        List<String> chunks = new Chunker(5, CODE_POINTS).split(accented);
        assertThat(chunks).hasSize(10).allSatisfy(c -> assertThat(c).isEqualTo("e\u0301e\u0301"));
    }

    @Test
    void aRunIsCutInPiecesAsLongAsFit() {
        Chunker chunker = new Chunker(7, CODE_POINTS);
        String chinese = "中文字的文本没有空格。".repeat(7); // 77 characters

        assertThat(chunker.split(chinese)).hasSize(11).allSatisfy(c -> assertThat(c).hasSize(7));
    }

    @Test
    void rejectsAByteBoundTooSmallForAFewWords() {
        assertThatThrownBy(() -> new Chunker(10, 0, 63, WORDS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64");
    }

    @Test
    void rejectsANonPositiveLimit() {
        assertThatThrownBy(() -> new Chunker(0, WORDS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Chunker(-3, WORDS))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- properties over random texts

    @Test
    void noChunkExceedsTheLimitAndNoWordIsLostOrReordered() {
        Random random = new Random(20261104L);
        for (int round = 0; round < 500; round++) {
            int maxTokens = 1 + random.nextInt(40);
            String text = randomText(random, 12);
            List<String> chunks = new Chunker(maxTokens, WORDS).split(text);

            String context = "round " + round + ", maxTokens " + maxTokens + ", text:\n" + text;
            assertThat(chunks)
                    .as(context)
                    .isNotEmpty()
                    .allSatisfy(
                            chunk -> {
                                assertThat(chunk).isNotBlank().isEqualTo(chunk.strip());
                                assertThat(WORDS.count(chunk)).isLessThanOrEqualTo(maxTokens);
                            });
            assertThat(words(chunks)).as(context).containsExactlyElementsOf(words(text));
        }
    }

    @Test
    void withLongWordsNoChunkExceedsTheLimitAndNoCharacterIsLost() {
        Random random = new Random(42L);
        for (int round = 0; round < 500; round++) {
            int maxTokens = 1 + random.nextInt(30);
            String text = randomText(random, 90);
            List<String> chunks = new Chunker(maxTokens, SUBWORDS).split(text);

            String context = "round " + round + ", maxTokens " + maxTokens + ", text:\n" + text;
            assertThat(chunks)
                    .as(context)
                    .isNotEmpty()
                    .allSatisfy(
                            chunk -> {
                                assertThat(chunk).isNotBlank();
                                assertThat(SUBWORDS.count(chunk)).isLessThanOrEqualTo(maxTokens);
                            });
            assertThat(String.join("", chunks).replaceAll("\\s+", ""))
                    .as(context)
                    .isEqualTo(text.replaceAll("\\s+", ""));
        }
    }

    @Test
    void aTextWithinTheLimitIsNeverSplit() {
        Random random = new Random(7L);
        for (int round = 0; round < 200; round++) {
            String text = randomText(random, 12).strip();
            int maxTokens = WORDS.count(text) + random.nextInt(3);

            assertThat(new Chunker(maxTokens, WORDS).split(text)).as(text).containsExactly(text);
        }
    }

    @Test
    void theSameInputGivesTheSameChunks() throws Exception {
        Random random = new Random(99L);
        for (int round = 0; round < 100; round++) {
            String text = randomText(random, 40);
            int maxTokens = 2 + random.nextInt(20);
            Chunker chunker = new Chunker(maxTokens, SUBWORDS);
            // as shipped to a task manager: serialized and deserialized
            Chunker shipped = InstantiationUtil.clone(chunker, getClass().getClassLoader());

            List<String> first = chunker.split(text);
            assertThat(chunker.split(text)).isEqualTo(first);
            assertThat(new Chunker(maxTokens, SUBWORDS).split(text)).isEqualTo(first);
            assertThat(shipped.split(text)).isEqualTo(first);
        }
    }

    @Test
    void textsOnceSlowToChunkKeepEveryBound() {
        for (TextKind kind : TextKind.values()) {
            String text = kind.generate(256 * 1024);
            for (TokenCounter tokens : List.of(SUBWORDS, CODE_POINTS)) {
                Chunker chunker = new Chunker(200, 0, Chunker.DEFAULT_MAX_BYTES, tokens);
                List<String> chunks = chunker.split(text);

                ChunkInvariants.check(text, chunks, chunker, tokens, kind.description());
                assertThat(chunker.split(text))
                        .as("the same chunks again: %s", kind.description())
                        .isEqualTo(chunks);
            }
        }
    }

    @Test
    void anyUnicodeTextKeepsEveryBound() throws Exception {
        Random random = new Random(20261205L);
        TokenCounter[] counters = {WORDS, SUBWORDS, CODE_POINTS};
        for (int round = 0; round < 600; round++) {
            String text = RandomTexts.unicode(random, random.nextInt(3000));
            int maxTokens = 1 + random.nextInt(60);
            int maxBytes = Chunker.MIN_MAX_BYTES + random.nextInt(400);
            TokenCounter tokens = counters[round % counters.length];
            Chunker chunker = new Chunker(maxTokens, 0, maxBytes, tokens);

            List<String> chunks = chunker.split(text);

            String context =
                    "round " + round + ", maxTokens " + maxTokens + ", maxBytes " + maxBytes;
            ChunkInvariants.check(text, chunks, chunker, tokens, context);
            assertThat(InstantiationUtil.clone(chunker, getClass().getClassLoader()).split(text))
                    .as(context)
                    .isEqualTo(chunks);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Paragraphs of sentences of words, separated by varied whitespace; words are 1 to 10 letters,
     * and now and then up to {@code maxWordLength}.
     */
    static String randomText(Random random, int maxWordLength) {
        String[] paragraphBreaks = {"\n\n", "\n\n\n", "\n \n", "\n\t\n  "};
        String[] wordBreaks = {" ", " ", " ", "  ", "\n", "\t"};
        String[] ends = {".", "!", "?", ";", ":", ""};
        StringBuilder text = new StringBuilder();
        if (random.nextInt(5) == 0) {
            text.append("  \n");
        }
        int paragraphs = 1 + random.nextInt(6);
        for (int p = 0; p < paragraphs; p++) {
            if (p > 0) {
                text.append(paragraphBreaks[random.nextInt(paragraphBreaks.length)]);
            }
            int sentences = 1 + random.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    text.append(random.nextBoolean() ? " " : "  ");
                }
                int words = 1 + random.nextInt(20);
                for (int w = 0; w < words; w++) {
                    if (w > 0) {
                        text.append(wordBreaks[random.nextInt(wordBreaks.length)]);
                    }
                    int length =
                            random.nextInt(15) == 0
                                    ? 1 + random.nextInt(maxWordLength)
                                    : 1 + random.nextInt(10);
                    text.append(randomWord(random, length));
                }
                text.append(ends[random.nextInt(ends.length)]);
            }
        }
        if (random.nextInt(5) == 0) {
            text.append("\n ");
        }
        return text.toString();
    }

    private static String randomWord(Random random, int length) {
        return IntStream.range(0, length)
                .mapToObj(i -> String.valueOf((char) ('a' + random.nextInt(26))))
                .collect(Collectors.joining());
    }

    private static List<String> words(String text) {
        return text.isBlank() ? List.of() : Arrays.asList(text.strip().split("\\s+"));
    }

    private static List<String> words(List<String> chunks) {
        List<String> all = new ArrayList<>();
        chunks.forEach(c -> all.addAll(words(c)));
        return all;
    }

    // ---------------------------------------------------------------- overlap

    @Test
    void eachChunkAfterTheFirstStartsWithTheLastWordsOfTheOneBefore() {
        Chunker chunker = new Chunker(6, 2, WORDS);
        List<String> chunks =
                chunker.split("one two three four. five six seven eight. nine ten eleven twelve.");

        assertThat(chunks).hasSizeGreaterThan(1);
        for (int i = 1; i < chunks.size(); i++) {
            String[] before = chunks.get(i - 1).split(" ");
            String tail = before[before.length - 2] + " " + before[before.length - 1];
            assertThat(chunks.get(i)).as("chunk %d", i).startsWith(tail + " ");
        }
        assertThat(chunks).allSatisfy(c -> assertThat(WORDS.count(c)).isLessThanOrEqualTo(6));
    }

    @Test
    void withOverlapNoChunkExceedsTheLimitAndNoWordIsLost() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            String text = randomText(random, 60);
            int maxTokens = 4 + random.nextInt(20);
            int overlap = random.nextInt(maxTokens / 2 + 1);
            List<String> chunks = new Chunker(maxTokens, overlap, WORDS).split(text);
            assertThat(chunks)
                    .allSatisfy(c -> assertThat(WORDS.count(c)).isLessThanOrEqualTo(maxTokens));
            // with one token per word, a chunk repeats min(overlap, words before - 1) words;
            // dropping them gives back the text's words, in order
            List<String> words = new ArrayList<>(List.of(chunks.get(0).split("\\s+")));
            for (int i = 1; i < chunks.size(); i++) {
                String[] chunkWords = chunks.get(i).split("\\s+");
                int repeated = Math.min(overlap, WORDS.count(chunks.get(i - 1)) - 1);
                assertThat(List.of(chunkWords).subList(0, repeated))
                        .isEqualTo(words.subList(words.size() - repeated, words.size()));
                words.addAll(List.of(chunkWords).subList(repeated, chunkWords.length));
            }
            assertThat(words).as("round %d", round).containsExactly(text.strip().split("\\s+"));
        }
    }

    @Test
    void anOverlapAboveHalfTheChunkIsRefused() {
        assertThatThrownBy(() -> new Chunker(10, 6, WORDS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("half");
    }
}
