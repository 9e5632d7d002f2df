package io.ragstream.embed;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamOptions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Before the job starts: every endpoint of an HTTP pool embeds with one model, the one that built
 * the index. Endpoints that serve another model under the same name and dimension (a newer version
 * of the tag pulled, another model given the name) answer every request, and the pool would mix
 * their vectors into one index, where they do not compare: search would go wrong without a word.
 * Each endpoint that answers embeds one fixed text and the texts of a few stored chunks; vectors of
 * the same text from the same model agree to about 1 in cosine (GPUs and quantizations differ a
 * little), from another model they do not. Endpoints that do not answer now are not checked: they
 * may be starting, and the pool waits. The in-process model is the jar's own and is not checked.
 */
public final class ServedModelCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ServedModelCheck.class);

    static final String TEXT = "ragstream checks that every endpoint of the pool serves one model.";

    /**
     * Below this, the same text's vectors are of two models. Measured on {@link #TEXT}: MiniLM
     * against its int8 copy 0.989, bge-small against its int8 copy 0.995; MiniLM against bge-small
     * (both 384 dimensions) 0.23.
     */
    static final double SAME_MODEL = 0.9;

    /** How many stored chunks the served model is compared on. */
    public static final int STORED_CHUNKS = 3;

    private static final Duration MAX_WAIT = Duration.ofSeconds(10);

    private ServedModelCheck() {}

    /**
     * Refuses endpoints that answer with another model than the one that built {@code table} (whose
     * stored chunks {@code stored} gives, text to vector), or than each other, naming one of them.
     */
    public static void check(
            EmbeddingOptions options, String table, Supplier<Map<String, float[]>> stored) {
        Map<String, EmbeddingBackend> backends = options.endpointBackends();
        try {
            if (backends.isEmpty()) {
                return;
            }
            Map<String, float[]> index = stored.get();
            if (backends.size() < 2 && index.isEmpty()) {
                return;
            }
            List<String> texts = new ArrayList<>();
            texts.add(TEXT);
            texts.addAll(index.keySet());
            Map<String, List<float[]>> answers = answers(backends, texts, wait(options));
            refuseOtherThanIndex(options.model(), table, index, answers);
            Map<String, float[]> fixedText = new LinkedHashMap<>();
            answers.forEach((endpoint, vectors) -> fixedText.put(endpoint, vectors.get(0)));
            refuseDisagreement(options.model(), fixedText);
        } finally {
            backends.values().forEach(EmbeddingBackend::close);
        }
    }

    private static Duration wait(EmbeddingOptions options) {
        return options.requestTimeout().compareTo(MAX_WAIT) < 0
                ? options.requestTimeout()
                : MAX_WAIT;
    }

    /** The vectors of {@code texts} from each endpoint that answered, by its setting. */
    private static Map<String, List<float[]>> answers(
            Map<String, EmbeddingBackend> backends, List<String> texts, Duration wait) {
        Map<String, CompletableFuture<List<float[]>>> asked = new LinkedHashMap<>();
        backends.forEach((name, backend) -> asked.put(name, backend.embed(texts)));
        long deadline = System.nanoTime() + wait.toNanos();
        Map<String, List<float[]>> answered = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<List<float[]>>> answer : asked.entrySet()) {
            try {
                answered.put(
                        answer.getKey(),
                        answer.getValue()
                                .get(
                                        Math.max(0, deadline - System.nanoTime()),
                                        TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return answered;
            } catch (ExecutionException | TimeoutException e) {
                LOG.info(
                        "{} did not answer the check that it serves the model of the index ({});"
                                + " it is not checked",
                        answer.getKey(),
                        e.getClass().getSimpleName());
            }
        }
        return answered;
    }

    /**
     * Refuses the endpoints whose vectors of the stored texts (after {@link #TEXT}) are, by their
     * median cosine, not the stored ones.
     */
    static void refuseOtherThanIndex(
            String model,
            String table,
            Map<String, float[]> index,
            Map<String, List<float[]>> answers) {
        if (index.isEmpty()) {
            return;
        }
        List<float[]> stored = new ArrayList<>(index.values());
        Map<String, Double> odd = new LinkedHashMap<>();
        answers.forEach(
                (endpoint, vectors) -> {
                    double[] cosines = new double[stored.size()];
                    for (int i = 0; i < cosines.length; i++) {
                        cosines[i] = cosine(stored.get(i), vectors.get(i + 1));
                    }
                    Arrays.sort(cosines);
                    double median = cosines[cosines.length / 2];
                    if (median < SAME_MODEL) {
                        odd.put(endpoint, median);
                    }
                });
        if (odd.isEmpty()) {
            return;
        }
        Map.Entry<String, Double> first = odd.entrySet().iterator().next();
        throw new ConfigException(
                first.getKey(),
                "embeds with another model than the one that built table "
                        + table
                        + ": its vectors of "
                        + stored.size()
                        + " stored chunks' texts have a median cosine of "
                        + String.format(Locale.ROOT, "%.3f", first.getValue())
                        + " to the stored ones (the same model gives about 1)"
                        + (odd.size() > 1 ? "; so do " + odd.keySet() : "")
                        + ". The model served as "
                        + RagstreamOptions.EMBEDDING_MODEL.key()
                        + " '"
                        + model
                        + "' is not the one it was (a newer version pulled under the same name?):"
                        + " serve the model that built the index, or index into new tables ("
                        + RagstreamOptions.POSTGRES_CHUNKS_TABLE.key()
                        + "; README \"Re-indexing and migrating\")");
    }

    /**
     * Groups the endpoints by model, the largest group first; more than one group is refused,
     * naming the first endpoint outside the largest.
     */
    static void refuseDisagreement(String model, Map<String, float[]> vectors) {
        List<List<String>> groups = new ArrayList<>();
        List<float[]> representatives = new ArrayList<>();
        vectors.forEach(
                (name, vector) -> {
                    for (int g = 0; g < groups.size(); g++) {
                        if (cosine(representatives.get(g), vector) >= SAME_MODEL) {
                            groups.get(g).add(name);
                            return;
                        }
                    }
                    groups.add(new ArrayList<>(List.of(name)));
                    representatives.add(vector);
                });
        if (groups.size() < 2) {
            return;
        }
        int largest = 0;
        for (int g = 1; g < groups.size(); g++) {
            if (groups.get(g).size() > groups.get(largest).size()) {
                largest = g;
            }
        }
        List<String> odd = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            if (g != largest) {
                odd.addAll(groups.get(g));
            }
        }
        throw new ConfigException(
                odd.get(0),
                "embeds with another model than "
                        + String.join(", ", groups.get(largest))
                        + ": the same text's vectors have a cosine of "
                        + String.format(
                                Locale.ROOT,
                                "%.3f",
                                cosine(representatives.get(largest), vectors.get(odd.get(0))))
                        + " (the same model gives about 1). The endpoints answer in groups "
                        + groups
                        + "; every endpoint must serve "
                        + RagstreamOptions.EMBEDDING_MODEL.key()
                        + " '"
                        + model
                        + "' in the same version, or the pool mixes vectors that do not compare"
                        + " into one index");
    }

    /**
     * {@link Vectors#cosine}, but over the shorter length: a table built by a model of another
     * dimension gives stored vectors of that length, which is then refused as another model rather
     * than failing the start with an IllegalArgumentException.
     */
    static double cosine(float[] a, float[] b) {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : dot / Math.sqrt(aa * bb);
    }
}
