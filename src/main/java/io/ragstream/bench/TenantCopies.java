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
    private final double noise;
    private final long seed;

    /** {@code noise}: the standard deviation added to each dimension of a unit vector. */
    TenantCopies(List<StoredChunks.Chunk> chunks, double noise, long seed) {
        Map<String, List<StoredChunks.Chunk>> byDocument = new LinkedHashMap<>();
        for (StoredChunks.Chunk chunk : chunks) {
            byDocument.computeIfAbsent(chunk.docId(), d -> new ArrayList<>()).add(chunk);
        }
        this.documents = List.copyOf(byDocument.values());
        this.noise = noise;
        this.seed = seed;
    }

    /**
     * Tenant {@code t} of {@code tenants}: {@code chunksEach} chunks, as document updates at
     * version 1. A tenant of more chunks than there are goes round again, each document under a new
     * id ({@code doc~2} the second time) so that it does not overwrite the first: the chunks a
     * model makes of SciFact (9,577 of 254 word pieces for MiniLM) are fewer than the search
     * bench's 10,000 a tenant.
     */
    List<DocumentUpdate> tenant(String name, int t, int tenants, int chunksEach) {
        Random random = new Random(seed * 31 + t);
        List<DocumentUpdate> updates = new ArrayList<>();
        int taken = 0;
        int start = t * documents.size() / tenants;
        for (int i = 0; taken < chunksEach; i++) {
            List<StoredChunks.Chunk> document = documents.get((start + i) % documents.size());
            int round = i / documents.size() + 1;
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
            String docId = document.get(0).docId();
            updates.add(
                    new DocumentUpdate(
                            name, round == 1 ? docId : docId + "~" + round, 1, false, "{}", rows));
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
