package io.ragstream.search;

/** A document found by a search, represented by its best-matching chunk. */
public record SearchHit(String docId, int chunkNo, String content, double score) {}
