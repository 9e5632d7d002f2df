package io.ragstream.search;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

class TermCountsTest {
    private final AtomicLong now = new AtomicLong();
    private final List<String> asked = new ArrayList<>();

    /** Counts as if the tenant had 100 chunks and each word were in as many as its length. */
    private long[] count(String tenant, List<String> words, boolean tenantToo) {
        asked.add((tenantToo ? "" : "words of ") + tenant + words);
        long[] counts = new long[words.size() + 1];
        counts[0] = 100;
        for (int i = 0; i < words.size(); i++) {
            counts[i + 1] = words.get(i).length();
        }
        return counts;
    }

    @Test
    void countsOnlyWhatItHasNotCountedWithinItsTimeToLivePerTenant() throws Exception {
        TermCounts counts =
                new TermCounts(100, Duration.ofSeconds(60), Duration.ofSeconds(1), now::get);
        assertThat(counts.of("acme", List.of("cell", "tumour"), this::count))
                .containsOnly(entry(null, 100L), entry("cell", 4L), entry("tumour", 6L));
        assertThat(counts.of("acme", List.of("tumour", "gene"), this::count))
                .containsOnly(entry(null, 100L), entry("tumour", 6L), entry("gene", 4L));
        assertThat(counts.of("acme", List.of("gene"), this::count)).hasSize(2);
        counts.of("globex", List.of("gene"), this::count); // another tenant's counts are its own
        assertThat(asked)
                .containsExactly("acme[cell, tumour]", "words of acme[gene]", "globex[gene]");

        now.addAndGet(Duration.ofSeconds(61).toNanos());
        counts.of("acme", List.of("cell"), this::count);
        assertThat(asked).last().isEqualTo("acme[cell]"); // and the tenant's chunks, again
    }

    @Test
    void aWordNoChunkHeldIsCountedAgainAfterASecondNotAMinute() throws Exception {
        TermCounts counts =
                new TermCounts(100, Duration.ofSeconds(60), Duration.ofSeconds(1), now::get);
        long[] held = {0};
        TermCounts.Counter counter =
                (tenant, words, tenantToo) -> {
                    asked.add((tenantToo ? "" : "words of ") + tenant + words);
                    return new long[] {100, held[0]};
                };
        assertThat(counts.of("acme", List.of("glacier"), counter)).containsEntry("glacier", 0L);
        held[0] = 3; // a document with the word is indexed
        assertThat(counts.of("acme", List.of("glacier"), counter)).containsEntry("glacier", 0L);
        now.addAndGet(Duration.ofMillis(1001).toNanos());
        assertThat(counts.of("acme", List.of("glacier"), counter)).containsEntry("glacier", 3L);
        now.addAndGet(Duration.ofSeconds(58).toNanos());
        held[0] = 5;
        assertThat(counts.of("acme", List.of("glacier"), counter))
                .as("a word some chunks hold keeps its count the minute")
                .containsEntry("glacier", 3L);
        assertThat(asked)
                .as("the tenant's chunks counted once, in their minute")
                .containsExactly("acme[glacier]", "words of acme[glacier]");
    }

    @Test
    void keepsAtMostItsEntriesDroppingTheLeastRecentlyUsed() throws Exception {
        TermCounts counts =
                new TermCounts(3, Duration.ofSeconds(60), Duration.ofSeconds(1), now::get);
        counts.of("acme", List.of("a", "b"), this::count); // the tenant's chunks, a, b
        counts.of("acme", List.of("a"), this::count); // a used: b is the eldest
        counts.of("acme", List.of("c"), this::count);
        assertThat(counts.size()).isEqualTo(3);
        counts.of("acme", List.of("a", "b"), this::count);
        assertThat(asked).containsExactly("acme[a, b]", "words of acme[c]", "words of acme[b]");
    }
}
