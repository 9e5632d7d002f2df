package io.ragstream.chunk;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every chunking must give, whatever the text: no chunk over the token or the byte bound, none
 * blank, no character lost, added or reordered (whitespace aside), no surrogate pair split. For a
 * chunker without overlap.
 */
public final class ChunkInvariants {

    private ChunkInvariants() {}

    public static void check(
            String text,
            List<String> chunks,
            Chunker chunker,
            TokenCounter tokens,
            String context) {
        assertThat(chunks)
                .as(context)
                .allSatisfy(
                        chunk -> {
                            assertThat(chunk).as(context).isNotBlank();
                            assertThat(tokens.count(chunk))
                                    .as("tokens of a chunk; %s", context)
                                    .isLessThanOrEqualTo(chunker.maxTokens());
                            assertThat(chunk.getBytes(StandardCharsets.UTF_8).length)
                                    .as("bytes of a chunk; %s", context)
                                    .isLessThanOrEqualTo(chunker.maxBytes());
                        });
        String joined = String.join("", chunks);
        assertThat(withoutWhitespace(joined))
                .as("the text's characters; %s", context)
                .isEqualTo(withoutWhitespace(text));
        // a pair cut in two would count as two code points in the chunks and as one in the text
        long codePoints = chunks.stream().mapToLong(ChunkInvariants::codePoints).sum();
        assertThat(codePoints).as("code points; %s", context).isEqualTo(codePoints(text));
    }

    private static long codePoints(String text) {
        return text.codePoints().filter(c -> !Character.isWhitespace(c)).count();
    }

    /** {@code text} without the characters {@link String#strip()} takes for whitespace. */
    public static String withoutWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().filter(c -> !Character.isWhitespace(c)).forEach(out::appendCodePoint);
        return out.toString();
    }
}
