package io.ragstream.bench;

import io.ragstream.chunk.DocumentChunker;
import io.ragstream.embed.Embedder;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Vectors of texts a model embedded before, in one file per model (SHA-256 of the text, then its
 * floats), so a bench embeds a corpus once: the whole of SciFact takes minutes on 2 cores. The file
 * is generated (under the git-ignored {@code .ragstream/cache/}) and replaced atomically.
 */
final class VectorCache {
    private static final int FORMAT = 1;

    /** Texts embedded between two progress lines; sorted by length, so each slice pads little. */
    private static final int SLICE = 512;

    private final Path file;
    private final Embedder model;
    private final Map<String, float[]> vectors = new HashMap<>();

    VectorCache(Path dir, Embedder model) throws IOException {
        this.file =
                dir.resolve(
                        "vectors-"
                                + model.model().replaceAll("[^A-Za-z0-9.-]", "_")
                                + "-"
                                + model.dimension()
                                + ".bin");
        this.model = model;
        if (Files.isRegularFile(file)) {
            read();
        }
    }

    /** One vector per text, in order: from the file, or embedded now and then added to it. */
    List<float[]> embed(List<String> texts) throws Exception {
        List<String> missing =
                texts.stream()
                        .distinct()
                        .filter(t -> !vectors.containsKey(key(t)))
                        .sorted(Comparator.comparingInt(String::length))
                        .toList();
        if (!missing.isEmpty()) {
            System.err.printf(
                    "embedding %d texts with %s (%d of %d cached in %s)%n",
                    missing.size(),
                    model.model(),
                    texts.size() - missing.size(),
                    texts.size(),
                    file);
            for (int from = 0; from < missing.size(); from += SLICE) {
                List<String> slice = missing.subList(from, Math.min(missing.size(), from + SLICE));
                List<float[]> embedded = model.embed(slice);
                for (int i = 0; i < slice.size(); i++) {
                    vectors.put(key(slice.get(i)), embedded.get(i));
                }
                System.err.printf("  %d / %d%n", from + slice.size(), missing.size());
            }
            write();
        }
        List<float[]> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(vectors.get(key(text)));
        }
        return out;
    }

    private static String key(String text) {
        return DocumentChunker.sha256Hex(text);
    }

    private void read() throws IOException {
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != FORMAT || in.readInt() != model.dimension()) {
                return; // another layout: embed again and replace it
            }
            int count = in.readInt();
            byte[] sha = new byte[32];
            for (int n = 0; n < count; n++) {
                in.readFully(sha);
                float[] v = new float[model.dimension()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = in.readFloat();
                }
                vectors.put(HexFormat.of().formatHex(sha), v);
            }
        }
    }

    /** To a temporary file first, then moved over the old one: a reader never sees half a file. */
    private void write() throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            try (DataOutputStream out =
                    new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeInt(FORMAT);
                out.writeInt(model.dimension());
                out.writeInt(vectors.size());
                for (Map.Entry<String, float[]> e : vectors.entrySet()) {
                    out.write(HexFormat.of().parseHex(e.getKey()));
                    for (float f : e.getValue()) {
                        out.writeFloat(f);
                    }
                }
            }
            Files.move(
                    tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // gone after the move; left only by a failed write
        }
    }
}
