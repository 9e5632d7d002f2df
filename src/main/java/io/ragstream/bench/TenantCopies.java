package io.ragstream.bench;

import io.ragstream.chunk.ChunkRow;
import io.ragstream.chunk.DocumentUpdate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Many tenants' worth of chunks without embedding anything: each tenant holds its own window of
 * real stored chunks (whole documents from a different start, the last one cut to size), every
 * vector moved by Gaussian noise and re-normalised, so no two tenants hold the same vector. The
 * same seed gives the same rows.
 */
final class TenantCopies {
    private final List<List<StoredChunks.Chunk>> documents;
    private final int chunks;
    private final double noise;
    private final long seed;

    /** {@code noise}: the standard deviation added to each dimension of a unit vector. */
    TenantCopies(List<StoredChunks.Chunk> chunks, double noise, long seed) {
        Map<String, List<StoredChunks.Chunk>> byDocument = new LinkedHashMap<>();
        for (StoredChunks.Chunk chunk : chunks) {
            byDocument.computeIfAbsent(chunk.docId(), d -> new ArrayList<>()).add(chunk);
        }
        this.documents = List.copyOf(byDocument.values());
        this.chunks = chunks.size();
        this.noise = noise;
        this.seed = seed;
    }

    /**
     * Tenant {@code t} of {@code tenants}: {@code chunksEach} chunks, as document updates at
     * version 1.
     */
    List<DocumentUpdate> tenant(String name, int t, int tenants, int chunksEach) {
        if (chunksEach > chunks) { // a document twice in one tenant would overwrite itself
            throw new IllegalArgumentException(
                    chunksEach + " chunks per tenant is more than the " + chunks + " there are");
        }
        Random random = new Random(seed * 31 + t);
        List<DocumentUpdate> updates = new ArrayList<>();
        int taken = 0;
        for (int d = t * documents.size() / tenants;
                taken < chunksEach;
                d = (d + 1) % documents.size()) {
            List<StoredChunks.Chunk> document = documents.get(d);
            List<ChunkRow> rows = new ArrayList<>();
            for (StoredChunks.Chunk chunk :
                    document.subList(0, Math.min(document.size(), chunksEach - taken))) {
                rows.add(
                        new ChunkRow(
                                chunk.chunkNo(),
                                chunk.content(),
                                sha256(chunk.content()),
                                perturb(chunk.vector(), random)));
            }
            taken += rows.size();
            updates.add(new DocumentUpdate(name, document.get(0).docId(), 1, false, "{}", rows));
        }
        return updates;
    }

    private float[] perturb(float[] vector, Random random) {
        float[] moved = new float[vector.length];
        double norm = 0;
        for (int i = 0; i < vector.length; i++) {
            moved[i] = (float) (vector[i] + noise * random.nextGaussian());
            norm += moved[i] * moved[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < moved.length; i++) {
            moved[i] *= scale;
        }
        return moved;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
