package io.ragstream.ingest;

import org.junit.jupiter.api.Test;

import java.io.Serializable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key ranges a table backfill reads: together they cover min..max once, without a gap or an
 * overlap, negative keys included, and the NULLs come last as a range of their own.
 */
class TableSourceTest {

    @Test
    void rangesCoverMinToMaxOnceThenTheNulls() {
        Serializable[][] splits = TableSource.splitParameters(-20_000L, 199_999L, 7);
        assertThat(splits).hasNumberOfRows(8);
        long next = -20_000L;
        for (int i = 0; i < 7; i++) {
            long lo = (Long) splits[i][0];
            long hi = (Long) splits[i][1];
            assertThat(lo).as("range " + i + " starts where the last ended").isEqualTo(next);
            assertThat(hi).isGreaterThanOrEqualTo(lo);
            assertThat(splits[i][2]).isEqualTo(false);
            next = hi + 1;
        }
        assertThat(next - 1).isEqualTo(199_999L);
        assertThat(splits[7]).containsExactly(1L, 0L, true);
    }

    @Test
    void fewerKeysThanSplitsGiveOneRangeAKey() {
        Serializable[][] splits = TableSource.splitParameters(5L, 7L, 16);
        assertThat(splits).hasNumberOfRows(4);
        assertThat(splits[0]).containsExactly(5L, 5L, false);
        assertThat(splits[2]).containsExactly(7L, 7L, false);
    }

    @Test
    void anEmptyTableHasOnlyTheNullRange() {
        assertThat(TableSource.splitParameters(null, null, 8))
                .hasNumberOfRows(1)
                .satisfies(s -> assertThat(s[0]).containsExactly(1L, 0L, true));
    }

    @Test
    void columnNamesAreQuotedAsSpelled() {
        assertThat(TableSource.quote("Body \"x\"")).isEqualTo("\"Body \"\"x\"\"\"");
    }
}
