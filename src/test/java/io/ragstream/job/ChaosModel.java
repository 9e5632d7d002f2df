package io.ragstream.job;

import io.ragstream.chunk.Chunker;
import io.ragstream.embed.OnnxMiniLmEmbedder;
import io.ragstream.embed.Vectors;
import io.ragstream.embed.server.SyntheticEmbedder;
import io.ragstream.ingest.DocumentEvent;
import io.ragstream.testing.PrivatePostgres;
import io.ragstream.testing.TestServices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the tables and the status topic of every pipeline in {@link ChaosIT} must hold once the job
 * has caught up: each document's newest version (its chunks, their texts and vectors, or nothing
 * once deleted), and which states each version was ever sent in. The same checks serve both sink
 * modes and both jobs.
 */
final class ChaosModel {
    static final int CHUNK_SIZE = 60;
    static final String TENANT = "chaos";

    /** Where the tables are: a private PostgreSQL ({@link ChaosIT}) or the shared one. */
    @FunctionalInterface
    interface Database {
        Connection connect() throws SQLException;
    }

    /** The newest state of a document: its text, or null once deleted. */
    record Expected(long version, String text) {}

    /** What the tables must hold for a document. */
    private record ExpectedRows(
            String document, TreeMap<Integer, String> chunks, List<float[]> vectors) {}

    private final Map<String, Expected> newest;

    /**
     * {@code id:version} → every state it was sent in (text, or null for a delete), stale replays
     * left out.
     */
    private final Map<String, Set<String>> sentStates;

    private final Map<String, ExpectedRows> rows = new HashMap<>();
    private final Map<String, Integer> chunkCounts =
            new HashMap<>(); // by text, for the status records

    ChaosModel(Map<String, Expected> newest, Map<String, Set<String>> sentStates) throws Exception {
        this.newest = Map.copyOf(newest);
        this.sentStates = sentStates;
        try (OnnxMiniLmEmbedder tokenizer = OnnxMiniLmEmbedder.shared();
                SyntheticEmbedder synthetic = new SyntheticEmbedder()) {
            Chunker chunker = new Chunker(CHUNK_SIZE, tokenizer::countTokens);
            for (Map.Entry<String, Expected> e : this.newest.entrySet()) {
                Expected expected = e.getValue();
                if (expected.text() == null) {
                    rows.put(
                            e.getKey(),
                            new ExpectedRows(
                                    expected.version() + ":0:true", new TreeMap<>(), List.of()));
                    continue;
                }
                List<String> texts = chunks(chunker, e.getKey(), expected);
                TreeMap<Integer, String> chunks = new TreeMap<>();
                for (int i = 0; i < texts.size(); i++) {
                    chunks.put(i, expected.version() + ":" + texts.get(i));
                }
                rows.put(
                        e.getKey(),
                        new ExpectedRows(
                                expected.version() + ":" + texts.size() + ":false",
                                chunks,
                                synthetic.embed(texts)));
            }
            for (Set<String> states : sentStates.values()) {
                for (String text : states) {
                    if (text != null) {
                        chunkCounts.computeIfAbsent(
                                text, t -> chunks(chunker, "any", new Expected(1, t)).size());
                    }
                }
            }
        }
    }

    private static List<String> chunks(Chunker chunker, String id, Expected expected) {
        return chunker.split(
                new DocumentEvent(
                                TENANT,
                                id,
                                expected.version(),
                                DocumentEvent.Op.UPSERT,
                                null,
                                expected.text(),
                                "{}")
                        .content());
    }

    int documents() {
        return newest.size();
    }

    /**
     * The first difference between these tables and the model, or null when every document has
     * exactly its newest rows.
     */
    String tableMismatch(PrivatePostgres pg, String documentsTable, String chunksTable) {
        return tableMismatch(pg::connect, documentsTable, chunksTable);
    }

    /** The same, in any database. */
    String tableMismatch(Database db, String documentsTable, String chunksTable) {
        Map<String, String> documents = new HashMap<>();
        Map<String, TreeMap<Integer, String>> chunks = new HashMap<>();
        Map<String, float[]> vectors = new HashMap<>(); // by chunk text
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT doc_id, version, chunk_count, deleted FROM "
                                    + documentsTable)) {
                while (rs.next()) {
                    documents.put(
                            rs.getString(1),
                            rs.getLong(2) + ":" + rs.getInt(3) + ":" + rs.getBoolean(4));
                }
            }
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT doc_id, chunk_no, version, content, embedding::vector::real[] FROM "
                                    + chunksTable)) {
                while (rs.next()) {
                    chunks.computeIfAbsent(rs.getString(1), k -> new TreeMap<>())
                            .put(rs.getInt(2), rs.getLong(3) + ":" + rs.getString(4));
                    Float[] boxed = (Float[]) rs.getArray(5).getArray();
                    float[] vector = new float[boxed.length];
                    for (int i = 0; i < boxed.length; i++) {
                        vector[i] = boxed[i];
                    }
                    vectors.put(rs.getString(4), vector);
                }
            }
        } catch (SQLException e) {
            return "tables not readable: " + e.getMessage();
        }
        if (documents.size() != newest.size()) {
            return documents.size() + " documents, the model has " + newest.size();
        }
        for (String id : chunks.keySet()) {
            if (!newest.containsKey(id)) {
                return "chunks of " + id + ", which was never sent";
            }
        }
        for (Map.Entry<String, ExpectedRows> e : rows.entrySet()) {
            String id = e.getKey();
            ExpectedRows want = e.getValue();
            if (!want.document().equals(documents.get(id))) {
                return id + ": expected " + want.document() + ", found " + documents.get(id);
            }
            TreeMap<Integer, String> stored = chunks.getOrDefault(id, new TreeMap<>());
            if (!stored.equals(want.chunks())) {
                return id
                        + ": chunks "
                        + stored.keySet()
                        + " at versions "
                        + stored.values().stream().map(v -> v.substring(0, v.indexOf(':'))).toList()
                        + " differ from the model's "
                        + want.chunks().size()
                        + " at "
                        + newest.get(id).version();
            }
            int i = 0;
            for (String chunk : want.chunks().values()) {
                String text = chunk.substring(chunk.indexOf(':') + 1);
                if (Vectors.cosine(want.vectors().get(i), vectors.get(text)) < 0.999) {
                    return id + ": chunk " + i + " holds another text's vector";
                }
                i++;
            }
        }
        return null;
    }

    /**
     * Far longer than the tests' checkpoint interval (at most 1 s): a status missing after it is
     * lost.
     */
    private static final Duration STATUS_LAG = Duration.ofSeconds(30);

    /**
     * Null when the status topic announced every document's newest version in its newest state, and
     * never a state that was not sent (a stale replay, which the guards refuse). The topic follows
     * the tables: a status goes out once its checkpoint completes, which for the idempotent writer
     * is after its rows are visible. So a check made as soon as the tables match may come a
     * checkpoint early, and the topic is read again until it matches or {@link #STATUS_LAG} is up.
     */
    String statusMismatch(String statusTopic) throws Exception {
        Instant start = Instant.now();
        String first = statusMismatchNow(statusTopic);
        String mismatch = first;
        while (mismatch != null && Instant.now().isBefore(start.plus(STATUS_LAG))) {
            Thread.sleep(500);
            mismatch = statusMismatchNow(statusTopic);
        }
        if (first != null && mismatch == null) {
            System.out.printf(
                    "%s caught up with the tables after %d ms (first: %s)%n",
                    statusTopic, Duration.between(start, Instant.now()).toMillis(), first);
        }
        return mismatch;
    }

    private String statusMismatchNow(String statusTopic) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Map<String, Long> announced = new HashMap<>();
        Map<String, Boolean> newestAnnounced =
                new HashMap<>(); // id:version:deleted of each document's newest state
        for (ConsumerRecord<byte[], byte[]> record : readAll(statusTopic)) {
            JsonNode status = json.readTree(record.value());
            String id = status.get("id").asText();
            long version = status.get("version").asLong();
            String key = id + ":" + version;
            Set<String> states = sentStates.get(key);
            if (states == null) {
                return "a status for " + key + ", which was never written: " + status;
            }
            boolean deleted = status.get("deleted").asBoolean();
            int chunks = status.get("chunks").asInt();
            boolean described =
                    states.stream()
                            .anyMatch(
                                    text ->
                                            text == null
                                                    ? deleted && chunks == 0
                                                    : !deleted && chunks == chunkCounts.get(text));
            if (!described) {
                return "status " + status + " describes no state " + key + " was sent in";
            }
            announced.merge(id, version, Math::max);
            Expected expected = newest.get(id);
            if (expected.version() == version && deleted == (expected.text() == null)) {
                newestAnnounced.put(id, true);
            }
        }
        for (Map.Entry<String, Expected> e : newest.entrySet()) {
            String id = e.getKey();
            if (!Long.valueOf(e.getValue().version()).equals(announced.get(id))) {
                return id
                        + " is at "
                        + e.getValue().version()
                        + ", the newest status says "
                        + announced.get(id);
            }
            if (!newestAnnounced.containsKey(id)) {
                return id
                        + " is "
                        + (e.getValue().text() == null ? "deleted" : "live")
                        + " at "
                        + e.getValue().version()
                        + ", no status says so";
            }
        }
        return null;
    }

    /** Every record of a topic up to its end, read committed. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestServices.KAFKA);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("could not read " + topic + " to its end " + ends);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** What changes whenever the job writes to these tables. */
    static String fingerprint(PrivatePostgres pg, String documentsTable, String chunksTable) {
        return count(pg, "SELECT count(*) FROM " + chunksTable)
                + "/"
                + count(
                        pg,
                        "SELECT coalesce(sum(version), 0)"
                                + " + count(*) FILTER (WHERE deleted) FROM "
                                + documentsTable)
                + "/"
                + count(pg, "SELECT coalesce(sum(version), 0) FROM " + chunksTable);
    }

    /** A count, or -1 while the database restarts or the table is not there yet. */
    static long count(PrivatePostgres pg, String sql) {
        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }
}
