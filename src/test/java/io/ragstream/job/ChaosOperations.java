package io.ragstream.job;

import io.ragstream.job.ChaosModel.Expected;
import io.ragstream.testing.TestServices;

import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import static io.ragstream.job.ChaosModel.TENANT;

/**
 * Random operations on documents, as plain events and as Debezium changes, at a steady pace:
 * creates, edits that grow and shrink documents, deletes with a version, Kafka tombstones followed
 * by a re-create, Debezium deletes followed by their tombstone and a re-insert of the same key, and
 * stale replays of older versions. It keeps the model of what the tables must end up holding.
 */
final class ChaosOperations {
    private static final Pattern VERSION = Pattern.compile("\"(version|lsn)\": (\\d+)");
    private final ChaosScale scale;
    private final String documentsTopic;
    private final String cdcTopic;
    private final Random random;
    private final List<String> paragraphs;
    private final Map<String, Expected> newest = new HashMap<>();
    private final Map<String, Set<String>> sentStates = new HashMap<>();
    private final Map<String, Integer> kinds =
            new HashMap<>(); // operations by kind, for the summary
    private final Path log;
    private volatile int sent;
    private long startNanos;

    /**
     * {@code log}: where each record sent is listed (kind, key, version), to read when a check
     * fails.
     */
    ChaosOperations(
            ChaosScale scale, String documentsTopic, String cdcTopic, Random random, Path log)
            throws Exception {
        this.scale = scale;
        this.log = log;
        this.documentsTopic = documentsTopic;
        this.cdcTopic = cdcTopic;
        this.random = random;
        this.paragraphs = new ArrayList<>();
        for (var doc : TestServices.testCorpus()) {
            paragraphs.add(doc.get("text").asText());
        }
    }

    /** Records sent so far. */
    int sent() {
        return sent;
    }

    Map<String, Integer> kinds() {
        return Map.copyOf(kinds);
    }

    /**
     * Publishes the scale's operations, spread over time; returns what the tables must hold
     * afterwards.
     */
    ChaosModel publish() {
        return publish(() -> sent < scale.operations());
    }

    /**
     * The same, at the same pace, for as long as {@code more} says so (for a test that needs input
     * to keep arriving until it has done something).
     */
    ChaosModel publish(BooleanSupplier more) {
        try (KafkaProducer<byte[], byte[]> producer = TestServices.producer();
                BufferedWriter listing = Files.newBufferedWriter(log)) {
            startNanos = System.nanoTime();
            while (more.getAsBoolean()) {
                boolean cdc = random.nextInt(4) == 0;
                int cdcDocuments = scale.documents() / 4;
                String id =
                        cdc
                                ? "row-" + random.nextInt(cdcDocuments)
                                : "doc-" + random.nextInt(scale.documents() - cdcDocuments);
                operation(producer, listing, cdc, id);
            }
            return new ChaosModel(newest, sentStates);
        } catch (Exception e) {
            throw new IllegalStateException("publishing failed after " + sent + " operations", e);
        }
    }

    private void operation(
            KafkaProducer<byte[], byte[]> producer, BufferedWriter listing, boolean cdc, String id)
            throws Exception {
        Expected current = newest.get(id);
        long version = current == null ? 0 : current.version();
        boolean live = current != null && current.text() != null;
        double dice = random.nextDouble();
        if (dice < 0.07 && version >= 2) {
            // a stale replay: an older version arriving late changes nothing; at an equal version a
            // delete wins
            long stale =
                    live
                            ? version - 1 - random.nextInt((int) version - 1)
                            : version - random.nextInt((int) version);
            send(
                    producer,
                    listing,
                    cdc,
                    "stale replay",
                    id,
                    upsert(cdc, id, stale, "a stale draft that must never be stored " + sent, "u"));
        } else if (dice < 0.15 && live) {
            long next = version + 1 + random.nextInt(3);
            send(producer, listing, cdc, "delete", id, delete(cdc, id, next));
            deleted(id, next);
            if (cdc && random.nextBoolean()) {
                // Debezium follows a delete with a tombstone, then the key may come back
                send(producer, listing, true, "tombstone", id, null);
                upsertNewer(producer, listing, true, id);
            }
        } else if (dice < 0.19 && current != null) {
            // a tombstone deletes the newest version known and invents none; a newer version
            // re-creates
            send(producer, listing, cdc, "tombstone", id, null);
            deleted(id, version);
            if (random.nextBoolean()) {
                upsertNewer(producer, listing, cdc, id);
            }
        } else {
            upsertNewer(producer, listing, cdc, id);
        }
    }

    private void upsertNewer(
            KafkaProducer<byte[], byte[]> producer, BufferedWriter listing, boolean cdc, String id)
            throws Exception {
        Expected current = newest.get(id);
        long version = (current == null ? 0 : current.version()) + 1 + random.nextInt(3);
        String text = randomText();
        String kind = current == null ? "create" : current.text() == null ? "re-create" : "edit";
        send(
                producer,
                listing,
                cdc,
                kind,
                id,
                upsert(cdc, id, version, text, kind.equals("edit") ? "u" : "c"));
        newest.put(id, new Expected(version, text));
        sentStates.computeIfAbsent(id + ":" + version, k -> new HashSet<>()).add(text);
    }

    private void deleted(String id, long version) {
        newest.put(id, new Expected(version, null));
        sentStates.computeIfAbsent(id + ":" + version, k -> new HashSet<>()).add(null);
    }

    /**
     * Paragraphs of the test corpus, now and then with a line never seen, so the backend keeps
     * getting work.
     */
    private String randomText() {
        StringBuilder text = new StringBuilder();
        int count = 1 + random.nextInt(6);
        for (int p = 0; p < count; p++) {
            text.append(p == 0 ? "" : "\n\n")
                    .append(paragraphs.get(random.nextInt(paragraphs.size())));
        }
        if (random.nextInt(3) == 0) {
            text.append("\n\nRevision note ").append(sent).append(" of this document.");
        }
        return text.toString();
    }

    /** Sends one record (a null value is a tombstone), lists it, then waits for the pace. */
    private void send(
            KafkaProducer<byte[], byte[]> producer,
            BufferedWriter listing,
            boolean cdc,
            String kind,
            String id,
            String value)
            throws Exception {
        String key =
                cdc
                        ? "{\"tenant\": \"" + TENANT + "\", \"id\": \"" + id + "\"}"
                        : TENANT + "/" + id;
        TestServices.send(producer, cdc ? cdcTopic : documentsTopic, key, value);
        listing.write(
                sent
                        + " "
                        + id
                        + " "
                        + (cdc ? "cdc " : "")
                        + kind
                        + (value == null
                                ? ""
                                : " at "
                                        + VERSION.matcher(value)
                                                .results()
                                                .map(m -> m.group(2))
                                                .findFirst()
                                                .orElse("?"))
                        + " (before: "
                        + describe(newest.get(id))
                        + ")\n");
        kinds.merge((cdc ? "cdc " : "") + kind, 1, Integer::sum);
        sent++;
        long due = startNanos + sent * scale.pace().toNanos();
        long wait = due - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(Duration.ofNanos(wait).toMillis());
        }
    }

    private static String describe(Expected expected) {
        return expected == null
                ? "never sent"
                : (expected.text() == null ? "deleted at " : "live at ") + expected.version();
    }

    private static String upsert(boolean cdc, String id, long version, String text, String cdcOp) {
        String quoted = "\"" + text.replace("\n", "\\n") + "\"";
        if (!cdc) {
            return "{\"tenant\": \""
                    + TENANT
                    + "\", \"id\": \""
                    + id
                    + "\", \"version\": "
                    + version
                    + ", \"text\": "
                    + quoted
                    + "}";
        }
        return "{\"before\": null, \"after\": {\"tenant\": \""
                + TENANT
                + "\", \"id\": \""
                + id
                + "\", \"title\": null, \"text\": "
                + quoted
                + "}, \"op\": \""
                + cdcOp
                + "\", "
                + source(version)
                + "}";
    }

    private static String delete(boolean cdc, String id, long version) {
        if (!cdc) {
            return "{\"tenant\": \""
                    + TENANT
                    + "\", \"id\": \""
                    + id
                    + "\", \"op\": \"delete\", \"version\": "
                    + version
                    + "}";
        }
        return "{\"before\": {\"tenant\": \""
                + TENANT
                + "\", \"id\": \""
                + id
                + "\"}, \"after\": null, \"op\": \"d\", "
                + source(version)
                + "}";
    }

    /** The PostgreSQL connector versions a change by its LSN. */
    private static String source(long lsn) {
        return "\"source\": {\"connector\": \"postgresql\", \"name\": \"pg\", \"db\": \"app\", \"table\": \"documents\", "
                + "\"lsn\": "
                + lsn
                + ", \"ts_ms\": 1700000000000}, \"ts_ms\": 1700000000000";
    }
}
