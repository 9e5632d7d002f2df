package io.ragstream.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how a pipeline stores its chunks: the database's name, the two tables, the model and
 * the quantization. The job's state (which chunks are stored, with which text) describes the rows
 * of one such index, so state restored into a job that writes another would skip every document
 * that does not change again. Where the database is reached (host, port) is not part of it: a
 * failover or a moved server keeps its rows.
 *
 * <p>Kept in state as {@link #encoded()} text, one {@code name=value} line per part.
 */
public record StoredIndex(
        String database,
        String documentsTable,
        String chunksTable,
        String model,
        String quantization)
        implements Serializable {

    /** The setting behind each part. */
    private static final Map<String, String> KEYS =
            Map.of(
                    "database", RagstreamOptions.POSTGRES_URL.key(),
                    "documents-table", RagstreamOptions.POSTGRES_DOCUMENTS_TABLE.key(),
                    "chunks-table", RagstreamOptions.POSTGRES_CHUNKS_TABLE.key(),
                    "model", RagstreamOptions.EMBEDDING_MODEL.key(),
                    "quantization", RagstreamOptions.QUANTIZATION.key());

    public static StoredIndex of(RagstreamConfig config) {
        PipelineIdentity pipeline = PipelineIdentity.of(config);
        String database = pipeline.database();
        return new StoredIndex(
                database.substring(database.lastIndexOf('/') + 1),
                pipeline.documentsTable(),
                pipeline.chunksTable(),
                pipeline.model(),
                pipeline.quantization());
    }

    public String encoded() {
        StringBuilder text = new StringBuilder();
        parts().forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        return text.toString();
    }

    /**
     * Why state that describes {@code restored} (an {@link #encoded()} text) cannot serve this
     * index, naming the first setting that differs; empty when it can.
     */
    public Optional<ConfigException> refuseStateOf(String restored) {
        Map<String, String> before = new LinkedHashMap<>();
        for (String line : restored.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                before.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        List<String> changes = new ArrayList<>();
        String firstKey = null;
        for (Map.Entry<String, String> part : parts().entrySet()) {
            String was = before.get(part.getKey());
            if (was != null && !was.equals(part.getValue())) {
                String key = KEYS.get(part.getKey());
                firstKey = firstKey == null ? key : firstKey;
                String what = part.getKey().equals("database") ? key + " (its database)" : key;
                changes.add(what + " '" + was + "' -> '" + part.getValue() + "'");
            }
        }
        if (changes.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new ConfigException(
                        firstKey,
                        "the checkpoint or savepoint this job was started from belongs to another"
                                + " index ("
                                + String.join(", ", changes)
                                + "). Its state says which documents are stored there, so resumed"
                                + " from it the job would leave out of "
                                + chunksTable
                                + " every document that does not change again. Start without that"
                                + " state (bin/ragstream run --fresh; on a cluster, without the"
                                + " savepoint): a new pipeline reads its topics from the earliest"
                                + " offset into its own tables (README: Re-indexing and"
                                + " migrating). Or set the settings back."));
    }

    private Map<String, String> parts() {
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("database", database);
        parts.put("documents-table", documentsTable);
        parts.put("chunks-table", chunksTable);
        parts.put("model", model);
        parts.put("quantization", quantization);
        return parts;
    }
}
