package io.ragstream.embed;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/** The in-process model, real inference: no mocks. The model is loaded once for the class. */
class OnnxMiniLmEmbedderTest {

    /** Short, varied texts: all under 128 tokens, so langchain4j neither pads nor truncates. */
    static final List<String> SHORT_TEXTS =
            List.of(
                    "The quick brown fox jumps over the lazy dog.",
                    "PostgreSQL 15 with pgvector stores embeddings in HNSW indexes.",
                    "Apache Flink checkpoints operator state for exactly-once processing!",
                    "Café Münster serves crème brûlée — naïve façade, résumé, coöperate.",
                    "東京は日本の首都です。人口は約1400万人。",
                    "def embed(texts): return [model(t) for t in texts]  # TODO: batch",
                    "Héllo 👋 wörld 🌍 emojis 🚀 and symbols ∑ ∫ √ ≠ ≤",
                    "What is the airspeed velocity of an unladen swallow?",
                    "Mitochondria are the powerhouse of the cell; ATP synthase drives oxidative "
                            + "phosphorylation in the inner membrane.",
                    "a",
                    "Antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
                    "In 1969, Apollo 11 landed on the Moon. Neil Armstrong and Buzz Aldrin walked on the "
                            + "surface while Michael Collins orbited above in the command module Columbia. "
                            + "The mission fulfilled a national goal set by President Kennedy in 1961.",
                    "SELECT id, 1 - (embedding <=> $1) AS score FROM chunks ORDER BY embedding <=> $1 "
                            + "LIMIT 10;",
                    "   leading and trailing whitespace\t\n");

    /** Common English words that are one word piece each, so prefixes have exact lengths. */
    static final String SEA =
            "the old ship sailed across the cold sea at night while large waves "
                    + "hit the wooden boat and the tired crew watched the dark storm from the deck";

    static final String DATABASE =
            "a database server stores rows in tables and an index helps "
                    + "each query find the data it needs without reading every page from the disk";

    static OnnxMiniLmEmbedder embedder;
    static AllMiniLmL6V2EmbeddingModel reference;

    @BeforeAll
    static void load() {
        // runs of 16, not the default one text per call: the padding and its mask are tested
        embedder = OnnxMiniLmEmbedder.create(OnnxModelOptions.builder().maxBatchSize(16).build());
        reference = new AllMiniLmL6V2EmbeddingModel();
    }

    @AfterAll
    static void release() {
        if (embedder != null) {
            embedder.close();
        }
    }

    @Test
    void describesTheModel() {
        assertThat(embedder.model()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(embedder.dimension()).isEqualTo(384);
        assertThat(embedder.maxTokens()).isEqualTo(256);
        assertThat(embedder.maxTextTokens()).isEqualTo(254);
        assertThat(embedder.options().maxBatchSize()).isEqualTo(16); // set here, default 1
        assertThat(embedder.options().intraOpThreads())
                .isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void agreesWithLangchain4jOnShortTexts() {
        List<float[]> ours = embedder.embed(SHORT_TEXTS);
        double minCosine = 1;
        double maxDiff = 0;
        for (int i = 0; i < SHORT_TEXTS.size(); i++) {
            String text = SHORT_TEXTS.get(i);
            assertThat(embedder.countTokens(text)).as("tokens of %s", text).isLessThan(126);
            float[] theirs = reference.embed(text).content().vector();
            double cosine = Vectors.cosine(ours.get(i), theirs);
            assertThat(cosine).as("cosine for %s", text).isGreaterThanOrEqualTo(0.9999);
            minCosine = Math.min(minCosine, cosine);
            maxDiff = Math.max(maxDiff, maxAbsDiff(ours.get(i), theirs));
        }
        System.out.printf(
                "langchain4j cross-check: %d texts, min cosine %.9f, max abs diff %.3g%n",
                SHORT_TEXTS.size(), minCosine, maxDiff);
    }

    @Test
    void batchingAndPaddingNeverChangeAVector() {
        List<String> texts = new ArrayList<>(SHORT_TEXTS);
        texts.add(words(SEA + " " + DATABASE, 200));
        texts.add(words(DATABASE, 60));
        texts.add(words(SEA, 1000)); // truncated: the longest a batch gets (256 tokens)
        texts.add(words(DATABASE + " " + SEA, 130));
        texts.add("");
        texts.add(SHORT_TEXTS.get(0)); // a duplicate within the call
        assertThat(texts).hasSizeGreaterThan(16); // more than one sub-batch

        List<float[]> singles = new ArrayList<>();
        for (String text : texts) {
            singles.add(embedder.embed(List.of(text)).get(0));
        }
        double maxDiff = 0;

        List<float[]> together = embedder.embed(texts);
        maxDiff = Math.max(maxDiff, maxAbsDiff(singles, together));

        List<String> reversed = new ArrayList<>(texts);
        Collections.reverse(reversed);
        List<float[]> backwards = new ArrayList<>(embedder.embed(reversed));
        Collections.reverse(backwards);
        maxDiff = Math.max(maxDiff, maxAbsDiff(singles, backwards));

        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(42));
        List<float[]> shuffled = embedder.embed(order.stream().map(texts::get).toList());
        for (int j = 0; j < order.size(); j++) {
            maxDiff = Math.max(maxDiff, maxAbsDiff(singles.get(order.get(j)), shuffled.get(j)));
        }

        // Worst case for padding: every text next to the 256-token one.
        String longest = texts.get(texts.size() - 4);
        for (int i = 0; i < texts.size(); i++) {
            float[] padded = embedder.embed(List.of(longest, texts.get(i))).get(1);
            maxDiff = Math.max(maxDiff, maxAbsDiff(singles.get(i), padded));
        }

        System.out.printf(
                "batching/padding/order: %d texts, max abs diff vs one by one %.3g%n",
                texts.size(), maxDiff);
        assertThat(maxDiff).isLessThan(1e-5);
        assertThat(together.get(texts.size() - 1)).isEqualTo(together.get(0));
    }

    @Test
    void longTextsAreNotCutAt128Tokens() {
        String text = words(SEA, 130) + " " + words(DATABASE, 70);
        int tokens = embedder.countTokens(text);
        assertThat(tokens).isEqualTo(200).isGreaterThan(128);
        String first126 = words(SEA, 126); // what fits in 128 with [CLS] and [SEP]
        assertThat(embedder.countTokens(first126)).isEqualTo(126);

        List<float[]> ours = embedder.embed(List.of(text, first126));
        float[] theirs = reference.embed(text).content().vector();

        double fullVsPrefix = Vectors.cosine(ours.get(0), ours.get(1));
        double theirsVsPrefix = Vectors.cosine(theirs, ours.get(1));
        System.out.printf(
                "200-token text: cosine to its first 126 pieces %.4f; langchain4j's "
                        + "vector of it vs our first 126 pieces %.7f%n",
                fullVsPrefix, theirsVsPrefix);
        assertThat(fullVsPrefix).isLessThan(0.98); // the database tail counts
        assertThat(theirsVsPrefix).isGreaterThanOrEqualTo(0.9999); // langchain4j stops at 128
        assertThat(Vectors.cosine(ours.get(0), theirs)).isLessThan(0.98);
    }

    @Test
    void textsAreTruncatedAt256Tokens() {
        String text = words(SEA + " " + DATABASE, 1000);
        assertThat(embedder.countTokens(text)).isEqualTo(1000);

        List<float[]> vectors =
                embedder.embed(
                        List.of(
                                text,
                                words(SEA + " " + DATABASE, 254),
                                words(SEA + " " + DATABASE, 240)));

        assertUnitVector(vectors.get(0));
        assertThat(maxAbsDiff(vectors.get(0), vectors.get(1))).isLessThan(1e-5);
        assertThat(Vectors.cosine(vectors.get(0), vectors.get(2))).isLessThan(0.9999);
    }

    @Test
    void vectorsHave384FiniteComponentsAndUnitNorm() {
        for (float[] vector : embedder.embed(SHORT_TEXTS)) {
            assertUnitVector(vector);
        }
    }

    @Test
    void emptyListGivesEmptyResult() {
        assertThat(embedder.embed(List.of())).isEmpty();
    }

    @Test
    void emptyAndBlankTextsGetTheVectorOfClsSep() {
        List<float[]> vectors = embedder.embed(List.of("", " \n\t ", "x"));
        assertUnitVector(vectors.get(0));
        assertThat(vectors.get(1)).isEqualTo(vectors.get(0));
        assertThat(Vectors.cosine(vectors.get(0), vectors.get(2))).isLessThan(0.99);
        assertThat(embedder.countTokens("")).isZero();
        assertThat(embedder.countTokens(" \n\t ")).isZero();
    }

    @Test
    void nullTextIsRejected() {
        assertThatThrownBy(() -> embedder.embed(Arrays.asList("fine", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("texts[1]");
    }

    @Test
    void concurrentCallsGiveTheSameVectors() throws Exception {
        List<String> texts = new ArrayList<>(SHORT_TEXTS);
        texts.add(words(DATABASE + " " + SEA, 180));
        List<float[]> expected = embedder.embed(texts);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> embedder.embed(texts)));
            }
            results.add(pool.submit(() -> List.of(new float[embedder.countTokens(texts.get(0))])));
            for (Future<List<float[]>> result : results.subList(0, 4)) {
                assertThat(maxAbsDiff(expected, result.get())).isLessThan(1e-6);
            }
            assertThat(results.get(4).get().get(0)).hasSize(embedder.countTokens(texts.get(0)));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sharedHandlesShareOneModelUntilTheLastIsClosed() {
        OnnxModelOptions options = OnnxModelOptions.builder().maxBatchSize(4).build();
        OnnxMiniLmEmbedder first = OnnxMiniLmEmbedder.shared(options);
        OnnxMiniLmEmbedder second = OnnxMiniLmEmbedder.shared(options);
        try {
            assertThat(first.isShared()).isTrue();
            assertThat(first.sharesModelWith(second)).isTrue();
            assertThat(first.sharesModelWith(embedder)).isFalse();

            first.close();
            first.close(); // idempotent: does not release the second handle's reference
            assertThatThrownBy(() -> first.embed(List.of("x")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            float[] vector = second.embed(List.of(SHORT_TEXTS.get(0))).get(0);
            assertThat(maxAbsDiff(vector, embedder.embed(List.of(SHORT_TEXTS.get(0))).get(0)))
                    .isLessThan(1e-5);
        } finally {
            first.close();
            second.close();
        }
        assertThatThrownBy(() -> second.countTokens("x")).isInstanceOf(IllegalStateException.class);
    }

    /** The first {@code count} words of {@code source} repeated: one word piece per word. */
    static String words(String source, int count) {
        String[] words = source.split(" ");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                text.append(' ');
            }
            text.append(words[i % words.length]);
        }
        return text.toString();
    }

    static void assertUnitVector(float[] vector) {
        assertThat(vector).hasSize(384);
        double squares = 0;
        for (float v : vector) {
            assertThat(Float.isFinite(v)).isTrue();
            squares += (double) v * v;
        }
        assertThat(Math.sqrt(squares)).isCloseTo(1.0, offset(1e-5));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(b).hasSameSizeAs(a);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static double maxAbsDiff(List<float[]> a, List<float[]> b) {
        assertThat(b).hasSameSizeAs(a);
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            max = Math.max(max, maxAbsDiff(a.get(i), b.get(i)));
        }
        return max;
    }
}
