-- ragstream tables. The job runs this same file when postgres.create-tables is true.
-- As a DBA:  psql -d ragstream -f sql/schema.sql
-- with other names or types, e.g.:  psql -v chunks_table=kb_chunks -v vector_type=vector -v opclass=vector_cosine_ops -f sql/schema.sql
\if :{?documents_table} \else \set documents_table ragstream_documents \endif
\if :{?chunks_table} \else \set chunks_table ragstream_chunks \endif
\if :{?chunks_index} \else \set chunks_index ragstream_chunks_embedding_hnsw \endif
\if :{?vector_type} \else \set vector_type halfvec \endif
\if :{?opclass} \else \set opclass halfvec_cosine_ops \endif
\if :{?dims} \else \set dims 384 \endif
\if :{?hnsw_m} \else \set hnsw_m 16 \endif
\if :{?hnsw_ef_construction} \else \set hnsw_ef_construction 64 \endif

CREATE EXTENSION IF NOT EXISTS vector;

-- one row per document; a deleted document keeps its row (deleted = true) so that an older
-- event arriving late cannot bring it back
CREATE TABLE IF NOT EXISTS :"documents_table" (
    tenant      text        NOT NULL,
    doc_id      text        NOT NULL,
    version     bigint      NOT NULL,
    chunk_count integer     NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, doc_id)
);

CREATE TABLE IF NOT EXISTS :"chunks_table" (
    tenant         text        NOT NULL,
    doc_id         text        NOT NULL,
    chunk_no       integer     NOT NULL,
    version        bigint      NOT NULL,
    content        text        NOT NULL,
    content_sha256 bytea       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    model          text        NOT NULL,
    embedding      :vector_type(:dims) NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, doc_id, chunk_no)
);

CREATE INDEX IF NOT EXISTS :"chunks_index" ON :"chunks_table"
    USING hnsw (embedding :opclass) WITH (m = :hnsw_m, ef_construction = :hnsw_ef_construction);
