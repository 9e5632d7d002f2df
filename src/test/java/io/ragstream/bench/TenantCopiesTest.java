package io.ragstream.bench;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tenants built from stored chunks: sized as asked, whole documents, unit vectors near the
 * originals.
 */
class TenantCopiesTest {
    private static final int DIM = 384;

    /** 20 documents of 1 to 3 chunks, 39 chunks in all. */
    private static List<StoredChunks.Chunk> stored() {
        Random random = new Random(1);
        List<StoredChunks.Chunk> chunks = new ArrayList<>();
        for (int d = 0; d < 20; d++) {
            for (int c = 0; c < 1 + d % 3; c++) {
                float[] v = new float[DIM];
                for (int i = 0; i < DIM; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                chunks.add(
                        new StoredChunks.Chunk("doc" + d, c, "text " + d + "." + c, normalised(v)));
            }
        }
        return chunks;
    }

    private static float[] normalised(float[] v) {
        double norm = Math.sqrt(dot(v, v));
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) norm;
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    @Test
    void eachTenantHoldsExactlyItsShareOfWholeDocumentsFromItsOwnStart() {
        TenantCopies copies = new TenantCopies(stored(), 0.005, 42);

        List<DocumentUpdate> first = copies.tenant("t0", 0, 4, 25);
        List<DocumentUpdate> second = copies.tenant("t1", 1, 4, 25);

        assertThat(first.stream().mapToInt(DocumentUpdate::chunkCount).sum()).isEqualTo(25);
        assertThat(first).allMatch(u -> u.tenant().equals("t0") && u.version() == 1);
        assertThat(first.get(0).docId()).isEqualTo("doc0");
        assertThat(second.get(0).docId()).isEqualTo("doc5");
        for (DocumentUpdate u : first) { // chunk numbers 0..n-1, as the sink expects of a document
            for (int c = 0; c < u.chunks().size(); c++) {
                assertThat(u.chunks().get(c).chunkNo()).isEqualTo(c);
            }
        }
    }

    @Test
    void vectorsAreUnitLengthCloseToTheOriginalAndTheSameForTheSameSeed() {
        List<StoredChunks.Chunk> stored = stored();
        ChunkRow copy =
                new TenantCopies(stored, 0.005, 42).tenant("t", 0, 1, 39).get(0).chunks().get(0);
        ChunkRow again =
                new TenantCopies(stored, 0.005, 42).tenant("t", 0, 1, 39).get(0).chunks().get(0);

        assertThat(dot(copy.embedding(), copy.embedding())).isCloseTo(1.0, within(1e-5));
        assertThat(dot(copy.embedding(), stored.get(0).vector())).isBetween(0.99, 0.999);
        assertThat(again.embedding()).isEqualTo(copy.embedding());
        assertThat(copy.text()).isEqualTo(stored.get(0).content());
    }

    @Test
    void aTenantOfMoreChunksThanThereAreTakesTheDocumentsAgainUnderNewIds() {
        List<DocumentUpdate> tenant = new TenantCopies(stored(), 0.005, 42).tenant("t", 1, 4, 100);

        assertThat(tenant.stream().mapToInt(DocumentUpdate::chunkCount).sum()).isEqualTo(100);
        assertThat(tenant).extracting(DocumentUpdate::docId).doesNotHaveDuplicates();
        assertThat(tenant.get(0).docId()).isEqualTo("doc5");
        assertThat(tenant.get(20).docId()).isEqualTo("doc5~2");
        assertThat(tenant.get(40).docId()).isEqualTo("doc5~3");
        assertThat(tenant.get(20).chunks())
                .extracting(ChunkRow::text)
                .isEqualTo(tenant.get(0).chunks().stream().map(ChunkRow::text).toList());
        assertThat(tenant.get(20).chunks().get(0).embedding())
                .as("its own noise")
                .isNotEqualTo(tenant.get(0).chunks().get(0).embedding());
    }
}
