package io.ragstream.embed;

import java.util.List;
import java.util.Objects;

/**
 * Embeds queries as the model was trained to see them: each text behind the model's query prefix
 * ({@link InProcessModel#queryPrefix()}, e.g. BGE's "Represent this sentence for searching relevant
 * passages: "). Documents are embedded without it. Owns the embedder it wraps.
 */
final class QueryPrefix implements Embedder {

    private final Embedder documents;
    private final String prefix;

    private QueryPrefix(Embedder documents, String prefix) {
        this.documents = documents;
        this.prefix = prefix;
    }

    /** {@code documents} itself when the prefix is empty. */
    static Embedder of(Embedder documents, String prefix) {
        Objects.requireNonNull(documents, "documents");
        Objects.requireNonNull(prefix, "prefix");
        return prefix.isEmpty() ? documents : new QueryPrefix(documents, prefix);
    }

    String prefix() {
        return prefix;
    }

    @Override
    public String model() {
        return documents.model();
    }

    @Override
    public int dimension() {
        return documents.dimension();
    }

    @Override
    public List<float[]> embed(List<String> queries) throws Exception {
        Objects.requireNonNull(queries, "queries");
        return documents.embed(
                queries.stream()
                        .map(q -> prefix + Objects.requireNonNull(q, "a query is null"))
                        .toList());
    }

    @Override
    public void close() {
        documents.close();
    }

    @Override
    public String toString() {
        return "QueryPrefix{\"" + prefix + "\", " + documents + "}";
    }
}
