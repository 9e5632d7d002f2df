package io.ragstream.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * The model's word-piece tokenizer, twice: once as the model reads a text ({@code [CLS]} pieces
 * {@code [SEP]}, truncated to {@code maxTokens}, not padded), once for counting (pieces only, never
 * truncated). The {@code tokenizer.json} shipped with the model truncates and pads to 128 tokens;
 * both are overridden here.
 *
 * <p>Thread-safe (DJL's tokenizer is); {@link #close()} must not run while it is in use, which
 * {@link OnnxModel}'s lock sees to.
 */
final class MiniLmTokenizer implements AutoCloseable {

    /** [CLS] pieces [SEP], truncated to maxTokens, not padded. */
    private final HuggingFaceTokenizer reader;

    /** Pieces only, never truncated: for counting. */
    private final HuggingFaceTokenizer counter;

    private MiniLmTokenizer(HuggingFaceTokenizer reader, HuggingFaceTokenizer counter) {
        this.reader = reader;
        this.counter = counter;
    }

    /**
     * Both tokenizers from {@code tokenizer.json}'s bytes.
     *
     * @throws IllegalStateException when the definition cannot be read or DJL's native library not
     *     loaded
     */
    static MiniLmTokenizer create(byte[] tokenizerJson, int maxTokens) {
        HuggingFaceTokenizer reader =
                newTokenizer(
                        tokenizerJson,
                        Map.of(
                                "padding",
                                "false",
                                "truncation",
                                "true",
                                "maxLength",
                                Integer.toString(maxTokens),
                                "modelMaxLength",
                                Integer.toString(OnnxMiniLmEmbedder.MODEL_MAX_POSITIONS)));
        try {
            return new MiniLmTokenizer(
                    reader,
                    newTokenizer(
                            tokenizerJson,
                            Map.of(
                                    "padding", "false",
                                    "truncation", "false",
                                    "addSpecialTokens", "false")));
        } catch (RuntimeException | Error e) {
            reader.close();
            throw e;
        }
    }

    /**
     * The token ids the model reads for {@code text}: {@code [CLS]}, its pieces, {@code [SEP]}, at
     * most maxTokens.
     */
    long[] ids(String text) {
        return reader.encode(text).getIds();
    }

    /** The word pieces of {@code text}, without special tokens and without truncation. */
    int count(String text) {
        return encodeForCounting(text).getIds().length;
    }

    /**
     * Where each word piece of {@code text} ends, as an index into {@code text}, in order (without
     * special tokens and without truncation). Word pieces never cross whitespace, so the pieces of
     * a part of the text that begins and ends at whitespace are those ending inside it.
     */
    int[] tokenEnds(String text) {
        CharSpan[] spans = encodeForCounting(text).getCharTokenSpans();
        int[] ends = new int[spans.length];
        // the tokenizer counts in code points: one walk along the text turns them into indexes
        int codePoint = 0;
        int index = 0;
        for (int i = 0; i < spans.length; i++) {
            int end = spans[i].getEnd();
            index = text.offsetByCodePoints(index, end - codePoint);
            codePoint = end;
            ends[i] = index;
        }
        return ends;
    }

    private Encoding encodeForCounting(String text) {
        Objects.requireNonNull(text, "text");
        return counter.encode(withoutLoneSurrogates(text));
    }

    /**
     * {@code text} with each unpaired surrogate replaced by U+FFFD, one char for one. The tokenizer
     * would receive it as three U+FFFD (its bytes decoded one by one) and count code points that
     * the text does not have.
     */
    static String withoutLoneSurrogates(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                chars = chars == null ? text.toCharArray() : chars;
                chars[i] = '\uFFFD';
            }
        }
        return chars == null ? text : new String(chars);
    }

    @Override
    public void close() {
        reader.close();
        counter.close();
    }

    private static HuggingFaceTokenizer newTokenizer(byte[] json, Map<String, String> opts) {
        // DJL finds its native library's version file through the context class loader.
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        thread.setContextClassLoader(HuggingFaceTokenizer.class.getClassLoader());
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), opts);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the tokenizer: " + e.getMessage(), e);
        } catch (UnsatisfiedLinkError e) {
            String hint =
                    String.valueOf(e.getMessage()).contains("another classloader")
                            ? ". The DJL tokenizers library is already loaded by another class"
                                    + " loader in this JVM (e.g. an earlier Flink job on this"
                                    + " TaskManager): put the ai.djl jars in Flink's lib/ so that one"
                                    + " class loader loads them."
                            : "";
            throw new IllegalStateException(
                    "Cannot load the DJL tokenizers native library: " + e.getMessage() + hint, e);
        } finally {
            thread.setContextClassLoader(context);
        }
    }
}
