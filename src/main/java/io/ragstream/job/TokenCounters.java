package io.ragstream.job;

import io.ragstream.chunk.TokenCounter;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.OnnxMiniLmEmbedder;

import java.util.Arrays;

/** Chunks are measured in the configured model's own tokens. */
final class TokenCounters {

    private TokenCounters() {}

    static TokenCounter forModel(EmbeddingOptions embedding, int chunkSize) {
        int limit = embedding.inProcessModel().maxTokens() - 2; // [CLS] and [SEP] take two
        if (chunkSize > limit) {
            throw new ConfigException(
                    RagstreamOptions.CHUNK_SIZE.key(),
                    chunkSize
                            + " tokens is more than "
                            + embedding.model()
                            + " reads ("
                            + limit
                            + "); the rest would be cut off");
        }
        return new MiniLmTokens(embedding);
    }

    /**
     * The in-process model's tokenizer, through one handle on the JVM's shared model (the
     * embedder's own, when it is in process).
     */
    private static final class MiniLmTokens implements TokenCounter {
        private static final long serialVersionUID = 1L;

        /** Characters tokenized at once: a few milliseconds' work, far more than a chunk. */
        private static final int SEGMENT = 64 * 1024;

        private final EmbeddingOptions embedding;
        private transient OnnxMiniLmEmbedder model;

        MiniLmTokens(EmbeddingOptions embedding) {
            this.embedding = embedding;
        }

        @Override
        public int count(String text) {
            return model().countTokens(text);
        }

        /**
         * One tokenization of the whole text, in segments of at most {@value #SEGMENT} characters
         * (see {@link Segments}): a part's tokens are those that end inside it.
         */
        @Override
        public PartCounter parts(String text) {
            if (text.length() <= SEGMENT) {
                return new TokenEnds(model().tokenEnds(text));
            }
            int[] ends = new int[0];
            int count = 0;
            for (int start = 0; start < text.length(); ) {
                int end = Segments.end(text, start, SEGMENT);
                int[] segment = model().tokenEnds(text.substring(start, end));
                if (count + segment.length > ends.length) {
                    ends = Arrays.copyOf(ends, Math.max(2 * ends.length, count + segment.length));
                }
                for (int tokenEnd : segment) {
                    ends[count++] = start + tokenEnd;
                }
                start = end;
            }
            return new TokenEnds(Arrays.copyOf(ends, count));
        }

        private OnnxMiniLmEmbedder model() {
            if (model == null) {
                model = OnnxMiniLmEmbedder.shared(embedding.inProcessModel());
            }
            return model;
        }

        @Override
        public void close() {
            if (model != null) {
                model.close();
                model = null;
            }
        }
    }

    /**
     * Where each token of a text ends, ascending: parts are counted, and runs cut, without
     * tokenizing again.
     */
    record TokenEnds(int[] ends) implements TokenCounter.PartCounter {

        @Override
        public int count(int from, int to) {
            return endingBy(to) - endingBy(from);
        }

        /**
         * The end of the last token that fits, or {@code to} when every token ending before it fits
         * (a run the tokenizer reads as one {@code [UNK]} has no end inside it). Cutting after a
         * word piece keeps the pieces before it as they were, so the piece rarely counts more.
         */
        @Override
        public int fit(int from, int to, int maxTokens) {
            int first = endingBy(from);
            if (endingBy(to) - first <= maxTokens) {
                return to;
            }
            // several pieces of one character (a Hangul syllable's jamo) end at the same index
            int fitting = endingBy(ends[first + maxTokens] - 1);
            return fitting > first ? ends[fitting - 1] : from;
        }

        /** How many of the ascending {@code ends} are at most {@code index}. */
        private int endingBy(int index) {
            int lo = 0;
            int hi = ends.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (ends[mid] <= index) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
