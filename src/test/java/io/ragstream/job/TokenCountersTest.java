package io.ragstream.job;

import io.ragstream.bench.TextKind;
import io.ragstream.chunk.ChunkInvariants;
import io.ragstream.chunk.Chunker;
import io.ragstream.chunk.RandomTexts;
import io.ragstream.chunk.TokenCounter;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.corpus.CorpusReader;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.testing.SciFactData;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The model's token counter, with the real tokenizer: counting the parts of a text from one
 * tokenization of the whole gives what tokenizing each part on its own gives, so the chunks are the
 * same either way.
 */
class TokenCountersTest {
    private static final List<String> AWKWARD_TEXTS =
            List.of(
                    "Café au lait, naïve résumé-writing; ÅNGSTRÖM über alles.",
                    "Emoji 😀 between words 🧬🧪 and after them 👍. Then plain text again.",
                    "中文字 and 日本語のテキスト mixed with English. Ω≈ç√ symbols!",
                    "tabs\tand\u00a0no-break\u2003em spaces\u2009thin, new\nlines\r\nand\n\nparagraphs",
                    "A https://example.org/a/very/long/url?with=query&and=fragments#here that is one word.",
                    "Numbers 3.14159, 1e-9 and 10,000,000 (in brackets) [and] {braces}: done.",
                    "x".repeat(300)
                            + " supercalifragilisticexpialidocious "
                            + "antidisestablishmentarianism ".repeat(5));

    private static TokenCounter model;

    @BeforeAll
    static void loadModel() {
        model = TokenCounters.forModel(EmbeddingOptions.from(RagstreamConfig.of(Map.of())), 200);
    }

    @AfterAll
    static void releaseModel() {
        model.close();
    }

    @Test
    void everyPartBetweenWhitespaceCountsAsItsOwnText() {
        for (String text : AWKWARD_TEXTS) {
            TokenCounter.PartCounter parts = model.parts(text);
            List<int[]> words = words(text);
            for (int i = 0; i < words.size(); i++) {
                for (int j = i; j < words.size(); j++) {
                    int from = words.get(i)[0];
                    int to = words.get(j)[1];
                    assertThat(parts.count(from, to))
                            .as("%s in %s", text.substring(from, to), text)
                            .isEqualTo(model.count(text.substring(from, to)));
                }
            }
        }
    }

    @Test
    void chunksAreTheSameAsWhenEveryPieceIsTokenizedOnItsOwn() throws Exception {
        List<String> texts = new ArrayList<>(AWKWARD_TEXTS);
        texts.add(String.join("\n\n", AWKWARD_TEXTS));
        SciFactData.dir()
                .ifPresent(dir -> texts.addAll(scifact(dir.resolve("corpus.jsonl.gz"), 300)));
        TokenCounter eachOnItsOwn = eachPartOnItsOwn(model);

        for (int size : new int[] {8, 40, 200}) {
            Chunker fromOnePass = new Chunker(size, model);
            Chunker fromEachPiece = new Chunker(size, eachOnItsOwn);
            for (String text : texts) {
                assertThat(fromOnePass.split(text))
                        .as("chunk size %d: %s", size, text)
                        .isEqualTo(fromEachPiece.split(text));
            }
        }
    }

    @Test
    void aLongTextTokenizedInSegmentsGivesTheTokensOfTheWhole() {
        EmbeddingOptions embedding = EmbeddingOptions.from(RagstreamConfig.of(Map.of()));
        try (OnnxMiniLmEmbedder tokenizer = OnnxMiniLmEmbedder.shared(embedding.inProcessModel())) {
            for (TextKind kind : TextKind.values()) {
                String text = kind.generate(256 * 1024);
                int[] segmented = ((TokenCounters.TokenEnds) model.parts(text)).ends();
                if (kind == TextKind.THAI) { // one word: cut inside it, counted more, never less
                    assertThat(segmented.length).isGreaterThan(tokenizer.tokenEnds(text).length);
                } else {
                    assertThat(segmented)
                            .as(kind.description())
                            .isEqualTo(tokenizer.tokenEnds(text));
                }
            }
        }
    }

    @Test
    void textsOnceSlowToChunkKeepEveryBoundInTheModelsTokens() {
        RagstreamConfig config = RagstreamConfig.of(Map.of());
        try (Chunker chunker = RagstreamJob.chunker(config, EmbeddingOptions.from(config))) {
            for (TextKind kind : TextKind.values()) {
                String text = kind.generate(256 * 1024);
                List<String> chunks = chunker.split(text);

                ChunkInvariants.check(text, chunks, chunker, model, kind.description());
                assertThat(chunker.split(text))
                        .as("the same chunks again: %s", kind.description())
                        .isEqualTo(chunks);
            }
        }
    }

    @Test
    void aWordTheModelReadsAsOneUnknownTokenIsOneChunk() {
        String word = "x".repeat(2000); // WordPiece reads at most 100 characters a word
        assertThat(model.count(word)).isEqualTo(1);
        assertThat(new Chunker(200, model).split(word)).containsExactly(word);
        assertThat(new Chunker(200, 0, 1000, model).split(word))
                .containsExactly(word.substring(0, 1000), word.substring(1000));
    }

    @Test
    void anyUnicodeTextKeepsEveryBoundInTheModelsTokens() {
        Random random = new Random(20261205L);
        for (int round = 0; round < 60; round++) {
            String text = RandomTexts.unicode(random, random.nextInt(4000));
            int maxTokens = 8 + random.nextInt(193);
            int maxBytes = Chunker.MIN_MAX_BYTES + random.nextInt(2000);
            Chunker chunker = new Chunker(maxTokens, 0, maxBytes, model);

            List<String> chunks = chunker.split(text);

            String context =
                    "round " + round + ", maxTokens " + maxTokens + ", maxBytes " + maxBytes;
            ChunkInvariants.check(text, chunks, chunker, model, context);
            assertThat(chunker.split(text)).as(context).isEqualTo(chunks);
        }
    }

    @Test
    void theJobsChunkerTakesItsByteBoundFromTheConfiguration() {
        RagstreamConfig config = RagstreamConfig.of(Map.of("chunk.max-bytes", "1000"));
        try (Chunker chunker = RagstreamJob.chunker(config, EmbeddingOptions.from(config))) {
            assertThat(chunker.maxBytes()).isEqualTo(1000);
        }
        RagstreamConfig tooSmall = RagstreamConfig.of(Map.of("chunk.max-bytes", "10"));
        assertThatThrownBy(() -> RagstreamJob.chunker(tooSmall, EmbeddingOptions.from(tooSmall)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("chunk.max-bytes")
                .hasMessageContaining("64");
    }

    /**
     * The model's counter, but each part tokenized on its own (the interface's default). Where a
     * word longer than a chunk is cut is the one-pass counter's own choice (after a word piece),
     * kept here: what is compared is the counting.
     */
    private static TokenCounter eachPartOnItsOwn(TokenCounter model) {
        return new TokenCounter() {
            @Override
            public int count(String text) {
                return model.count(text);
            }

            @Override
            public PartCounter parts(String text) {
                PartCounter onePass = model.parts(text);
                return new PartCounter() {
                    @Override
                    public int count(int from, int to) {
                        return model.count(text.substring(from, to));
                    }

                    @Override
                    public int fit(int from, int to, int maxTokens) {
                        return onePass.fit(from, to, maxTokens);
                    }
                };
            }
        };
    }

    private static List<int[]> words(String text) {
        List<int[]> words = new ArrayList<>();
        Matcher word = Pattern.compile("\\S+").matcher(text);
        while (word.find()) {
            words.add(new int[] {word.start(), word.end()});
        }
        return words;
    }

    private static List<String> scifact(Path corpus, int limit) {
        try {
            return new CorpusReader("test")
                    .read(List.of(corpus)).stream()
                            .limit(limit)
                            .map(
                                    doc ->
                                            new DocumentEvent(
                                                            doc.tenant(),
                                                            doc.id(),
                                                            null,
                                                            DocumentEvent.Op.UPSERT,
                                                            doc.title(),
                                                            doc.text(),
                                                            "{}")
                                                    .content())
                            .toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
