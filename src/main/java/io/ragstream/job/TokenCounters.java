package io.ragstream.job;

import io.ragstream.chunk.TokenCounter;
import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.embed.EmbeddingOptions;
import io.ragstream.embed.OnnxMiniLmEmbedder;

/** Chunks are measured in the configured model's own tokens. */
final class TokenCounters {

    private TokenCounters() {}

    static TokenCounter forModel(EmbeddingOptions embedding, int chunkSize) {
        int limit = OnnxMiniLmEmbedder.DEFAULT_MAX_TOKENS - 2; // [CLS] and [SEP] take two
        if (chunkSize > limit) {
            throw new ConfigException(RagstreamOptions.CHUNK_SIZE.key(), chunkSize + " tokens is more than "
                    + embedding.model() + " reads (" + limit + "); the rest would be cut off");
        }
        return new MiniLmTokens(embedding);
    }

    /** The in-process model's tokenizer, through one handle on the JVM's shared model (the embedder's own, when it is in process). */
    private static final class MiniLmTokens implements TokenCounter {
        private static final long serialVersionUID = 1L;
        private final EmbeddingOptions embedding;
        private transient OnnxMiniLmEmbedder model;

        MiniLmTokens(EmbeddingOptions embedding) {
            this.embedding = embedding;
        }

        @Override
        public int count(String text) {
            return model().countTokens(text);
        }

        /** One tokenization of the whole text: a part's tokens are those that end inside it. */
        @Override
        public PartCounter parts(String text) {
            int[] ends = model().tokenEnds(text);
            return (from, to) -> endingBy(ends, to) - endingBy(ends, from);
        }

        /** How many of the ascending {@code ends} are at most {@code index}. */
        private static int endingBy(int[] ends, int index) {
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
}
