-- ragstream tables. The job runs this same file when postgres.create-tables is true.
-- As a DBA:  psql -d ragstream -f sql/schema.sql
-- with other names or another quantization (float32 | float16 | int8 | binary), e.g.:
--   psql -v chunks_table=kb_chunks -v quantization=int8 -v hnsw_m=24 -f sql/schema.sql
\if :{?documents_table} \else \set documents_table ragstream_documents \endif
\if :{?chunks_table} \else \set chunks_table ragstream_chunks \endif
\if :{?chunks_index} \else \set chunks_index ragstream_chunks_embedding_hnsw \endif
\if :{?chunks_text_index} \else \set chunks_text_index ragstream_chunks_words_gin \endif
\if :{?chunks_old_text_index} \else \set chunks_old_text_index ragstream_chunks_content_gin \endif
\if :{?chunks_terms_index} \else \set chunks_terms_index ragstream_chunks_terms_hnsw \endif
\if :{?quantization} \else \set quantization float16 \endif
\if :{?dims} \else \set dims 384 \endif
\if :{?hnsw_m} \else \set hnsw_m 16 \endif
\if :{?hnsw_ef_construction} \else \set hnsw_ef_construction 64 \endif

CREATE EXTENSION IF NOT EXISTS vector;
-- PostgreSQL's own (contrib, trusted): a GIN index that holds the tenant beside the words (below)
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- A chunk's words as a BM25 sparse vector, for the text ranking (search --mode text and hybrid):
-- each stemmed word ('english', as content_tsv) at dimension hashtext(word) mod 2^29 + 1, weighted
-- by BM25's saturated, length-normalised count in the chunk (k1 1.2, b 0.75, against a pivot of
-- 100 distinct words). It depends on the chunk alone; the other half of BM25, a word's inverse
-- document frequency among the tenant's chunks, is the query vector's weight, read at query time,
-- so no statistic is written that could go stale. The inner product of the two is the chunk's
-- BM25 score. The 1,000 heaviest words are kept: an HNSW index takes no more. No JIT: a session
-- that disables sorts makes the cap's sort cost enough for PostgreSQL to compile the function's
-- query on every row (0.1 s a row, measured).
CREATE OR REPLACE FUNCTION ragstream_bm25_terms(content text) RETURNS sparsevec
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET jit = off AS $$
    SELECT (coalesce('{' || string_agg(term || ':' || weight, ',') || '}', '{}')
            || '/1000000000')::sparsevec
    FROM (SELECT term, sum(weight)::real AS weight
          FROM (SELECT (hashtext(u.lexeme)::bigint & 536870911) + 1 AS term,
                       tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length(v) / 100.0)) AS weight
                FROM to_tsvector('english', content) v,
                     LATERAL (SELECT lexeme, coalesce(array_length(positions, 1), 1) AS tf
                              FROM unnest(v)) u) w
          GROUP BY term ORDER BY weight DESC, term LIMIT 1000) t
$$;

-- one row per document; a deleted document keeps its row (deleted = true) so that an older
-- event arriving late cannot bring it back
CREATE TABLE IF NOT EXISTS :"documents_table" (
    tenant      text        NOT NULL,
    doc_id      text        NOT NULL,
    version     bigint      NOT NULL,
    chunk_count integer     NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    source_topic text,                    -- the Kafka topic that wrote the version, so a CDC truncate finds its documents
    PRIMARY KEY (tenant, doc_id)
);
-- tables made before source_topic existed (the job runs this only when the column is missing)
ALTER TABLE :"documents_table" ADD COLUMN IF NOT EXISTS source_topic text;

-- sink.mode exactly-once: one row per transaction the sink prepares, written inside it, so that
-- after a restore the sink can tell a committed transaction from a rolled-back one (PostgreSQL
-- forgets both). Shared by every sink in the database; the names start with sink.transaction-prefix.
CREATE TABLE IF NOT EXISTS ragstream_sink_transactions (
    gid         text        PRIMARY KEY,
    prepared_at timestamptz NOT NULL DEFAULT now()
);

-- How each quantization stores a chunk's vector, and what its HNSW index holds. psql cannot
-- branch on a string, so the server picks; \gset makes the two answers variables.
--   float32: vector(d), the index on it (cosine)
--   float16: halfvec(d), the index on it (cosine)
--   binary:  halfvec(d); the index holds only its sign bits, bit(d), compared by Hamming
--            distance, and a search re-ranks those candidates by the halfvec
--   int8:    d signed bytes with the vector's own scale and offset (value = offset + scale *
--            code) and its sign bits, bit(d), for the index; a search re-ranks the index's
--            candidates by the decoded int8 vector
SELECT CASE :'quantization'
           WHEN 'float32' THEN format('embedding vector(%s) NOT NULL', :dims)
           WHEN 'float16' THEN format('embedding halfvec(%s) NOT NULL', :dims)
           WHEN 'binary'  THEN format('embedding halfvec(%s) NOT NULL', :dims)
           WHEN 'int8'    THEN format('embedding bytea NOT NULL, embedding_scale real NOT NULL, '
                                      'embedding_offset real NOT NULL, embedding_bits bit(%s) NOT NULL', :dims)
           ELSE 'embedding "quantization must be float32, float16, int8 or binary"'
       END AS vector_columns,
       CASE :'quantization'
           WHEN 'float32' THEN 'embedding vector_cosine_ops'
           WHEN 'float16' THEN 'embedding halfvec_cosine_ops'
           WHEN 'binary'  THEN format('(binary_quantize(embedding)::bit(%s)) bit_hamming_ops', :dims)
           WHEN 'int8'    THEN 'embedding_bits bit_hamming_ops'
       END AS index_key
\gset

CREATE TABLE IF NOT EXISTS :"chunks_table" (
    tenant         text        NOT NULL,
    doc_id         text        NOT NULL,
    chunk_no       integer     NOT NULL,
    version        bigint      NOT NULL,
    content        text        NOT NULL,
    -- the full-text representation, for search --mode text|hybrid (see below)
    content_tsv    tsvector    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    content_terms  sparsevec(1000000000) GENERATED ALWAYS AS (ragstream_bm25_terms(content)) STORED,
    content_sha256 bytea       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    model          text        NOT NULL,
    :vector_columns,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, doc_id, chunk_no)
);

CREATE INDEX IF NOT EXISTS :"chunks_index" ON :"chunks_table"
    USING hnsw (:index_key) WITH (m = :hnsw_m, ef_construction = :hnsw_ef_construction);

-- Full-text search (search --mode text and hybrid): each chunk's words, stemmed by PostgreSQL's
-- 'english' configuration, twice in stored generated columns: content_tsv with a GIN index, from
-- which a search counts in how many of the tenant's chunks a word is (its inverse document
-- frequency), and content_terms (above) with an HNSW index, which finds the chunks of the best
-- BM25 score without scoring every chunk that holds a query word. PostgreSQL computes both from
-- content in the same statement that writes the content (the sink's version-guarded upsert), so
-- the words and the vector of a chunk can never disagree, and no writer can forget them. The job
-- keeps no vocabulary or corpus statistics; README, Search, has the figures. Tables made before
-- a column existed get it here (the job runs this only when it is missing; it rewrites the table
-- once).
ALTER TABLE :"chunks_table" ADD COLUMN IF NOT EXISTS
    content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;

-- The tenant is in the GIN index too (btree_gin), so a search finds the tenant's chunks that hold a
-- word without reading the other tenants' rows that hold it: at 10 tenants the chunks of a query's
-- rare words are found in a third of the time a BitmapAnd with the primary key took.
CREATE INDEX IF NOT EXISTS :"chunks_text_index" ON :"chunks_table" USING gin (tenant, content_tsv);

-- the index it replaces, on the words alone (tables made before 2026-12-06)
DROP INDEX IF EXISTS :"chunks_old_text_index";

ALTER TABLE :"chunks_table" ADD COLUMN IF NOT EXISTS
    content_terms sparsevec(1000000000) GENERATED ALWAYS AS (ragstream_bm25_terms(content)) STORED;

-- A sparser graph than the vectors': an insert into an inner-product graph of sparse vectors
-- searches far longer than into a dense one (4.5 ms a SciFact chunk at m 16, ef_construction 64;
-- 1.2 ms at 8 and 32), and SciFact ranks the same or better (README, Search).
CREATE INDEX IF NOT EXISTS :"chunks_terms_index" ON :"chunks_table"
    USING hnsw (content_terms sparsevec_ip_ops) WITH (m = 8, ef_construction = 32);
