package io.ragstream.embed;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped tokenizer definition, without the model. */
class MiniLmTokenizerTest {

    private static final long CLS = 101;
    private static final long SEP = 102;

    /** 300 words of one word piece each. */
    private static final String WORDS_300 = "sea ".repeat(300).strip();

    static MiniLmTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in =
                MiniLmTokenizerTest.class.getResourceAsStream(
                        OnnxMiniLmEmbedder.TOKENIZER_RESOURCE)) {
            assertThat(in)
                    .as(OnnxMiniLmEmbedder.TOKENIZER_RESOURCE + " on the test classpath")
                    .isNotNull();
            tokenizer = MiniLmTokenizer.create(in.readAllBytes(), 10);
        }
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    @Test
    void countTokensCountsWordPiecesWithoutSpecialTokens() {
        assertThat(tokenizer.count("Hello, world!")).isEqualTo(4); // hello , world !
        assertThat(tokenizer.count("tokenizers")).isEqualTo(3); // token ##izer ##s
        assertThat(tokenizer.count(WORDS_300)).isEqualTo(300); // never truncated
        assertThat(tokenizer.count(" \n\t ")).isZero();
    }

    @Test
    void theModelReadsClsThePiecesAndSepCutToMaxTokens() {
        long[] hello = tokenizer.ids("Hello, world!");
        assertThat(hello).hasSize(6).startsWith(CLS).endsWith(SEP);

        assertThat(tokenizer.ids(WORDS_300))
                .hasSize(10)
                .startsWith(CLS)
                .endsWith(SEP); // maxTokens, [SEP] kept
        assertThat(tokenizer.ids("")).containsExactly(CLS, SEP);
    }

    @Test
    void tokenEndsAreIndexesIntoTheText() {
        String text = "Héllo 👋 tokenizers";
        int[] ends = tokenizer.tokenEnds(text);
        assertThat(ends).hasSize(tokenizer.count(text));
        assertThat(ends[ends.length - 1]).isEqualTo(text.length());
        assertThat(text.substring(0, ends[0])).isEqualTo("Héllo");
        assertThat(text.substring(0, ends[1])).isEqualTo("Héllo 👋"); // two chars, one code point
        assertThat(ends).isSorted();
    }

    @Test
    void aLoneSurrogateCountsAsOneCharacter() {
        assertThat(MiniLmTokenizer.withoutLoneSurrogates("a\ud800b")).isEqualTo("a\uFFFDb");
        assertThat(MiniLmTokenizer.withoutLoneSurrogates("b\udc00")).isEqualTo("b\uFFFD");
        String paired = "x\ud83d\udc4by";
        assertThat(MiniLmTokenizer.withoutLoneSurrogates(paired)).isSameAs(paired);

        String text = "an \ud800 unpaired";
        int[] ends = tokenizer.tokenEnds(text);
        assertThat(ends[ends.length - 1]).isEqualTo(text.length());
    }
}
