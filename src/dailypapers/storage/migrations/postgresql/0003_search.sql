-- Search: a weighted tsvector kept by PostgreSQL itself, a key per paper for resumable
-- indexing, and embedding vectors per model in pgvector (HNSW indexes are made per model).
CREATE EXTENSION IF NOT EXISTS vector;

-- Title counts most, then the abstract, then author names. Adding a stored generated column
-- rewrites the table, which indexes the papers stored before this migration.
ALTER TABLE papers ADD COLUMN search_text tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', abstract), 'B')
    || setweight(to_tsvector('english', authors), 'C')
) STORED;
CREATE INDEX papers_search_text ON papers USING gin (search_text);

-- The order papers are embedded in (newest first) and the cursor of that work.
ALTER TABLE papers ADD COLUMN search_key BIGSERIAL;
CREATE UNIQUE INDEX papers_by_search_key ON papers (search_key);

-- Exact titles are pinned to the top of results.
CREATE INDEX papers_by_title ON papers (lower(rtrim(title, '.')));

-- Untyped `vector`, so that models of any dimension share the table; each model's HNSW
-- index casts to its own dimension (see storage/search_postgresql.py).
CREATE TABLE paper_embeddings (
    model TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    embedding vector NOT NULL,
    PRIMARY KEY (model, paper_id)
);

-- A vector of the old text would rank the paper for what it no longer says.
CREATE FUNCTION forget_stale_embeddings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM paper_embeddings WHERE paper_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER papers_text_changed AFTER UPDATE OF title, abstract ON papers FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract)
    EXECUTE FUNCTION forget_stale_embeddings();
