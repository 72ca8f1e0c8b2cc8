-- Search: a stable integer key per paper, a full-text index that triggers keep in step with
-- papers, and embedding vectors per model (the source of truth the HNSW file is built from).

-- Every index outside the papers table names a paper by this key. Not papers' own rowid:
-- VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY.
CREATE TABLE paper_keys (
    key INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL UNIQUE
);

-- Contentless: the text already lives in papers; the triggers hand FTS5 the old values to
-- delete, which is what a contentless table needs. Porter stemming over unicode61.
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, authors,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- One row per paper and model. `seq` grows with every write (AUTOINCREMENT never reuses a
-- number), so an index file beside the database knows which vectors it has not seen yet.
CREATE TABLE paper_embeddings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    paper_key INTEGER NOT NULL,
    vector BLOB NOT NULL,                     -- float32 little-endian, L2-normalized
    UNIQUE (model, paper_key)
);

CREATE TRIGGER papers_search_insert AFTER INSERT ON papers BEGIN
    INSERT OR IGNORE INTO paper_keys (paper_id) VALUES (new.id);
    INSERT INTO papers_fts (rowid, title, abstract, authors)
        SELECT key, new.title, new.abstract, new.authors FROM paper_keys WHERE paper_id = new.id;
END;

CREATE TRIGGER papers_search_update AFTER UPDATE OF title, abstract, authors ON papers
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
    OR old.authors IS NOT new.authors
BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors)
        SELECT 'delete', key, old.title, old.abstract, old.authors
        FROM paper_keys WHERE paper_id = old.id;
    INSERT INTO papers_fts (rowid, title, abstract, authors)
        SELECT key, new.title, new.abstract, new.authors FROM paper_keys WHERE paper_id = new.id;
    -- A vector of the old text would rank the paper for what it no longer says.
    DELETE FROM paper_embeddings
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = new.id)
        AND (old.title IS NOT new.title OR old.abstract IS NOT new.abstract);
END;

CREATE TRIGGER papers_search_delete AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors)
        SELECT 'delete', key, old.title, old.abstract, old.authors
        FROM paper_keys WHERE paper_id = old.id;
    DELETE FROM paper_embeddings
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = old.id);
END;

-- Exact titles are pinned to the top of results.
CREATE INDEX papers_by_title ON papers (lower(rtrim(title, '.')));

-- The papers stored before this migration.
INSERT INTO paper_keys (paper_id) SELECT id FROM papers ORDER BY rowid;
INSERT INTO papers_fts (rowid, title, abstract, authors)
    SELECT k.key, p.title, p.abstract, p.authors FROM papers p JOIN paper_keys k ON k.paper_id = p.id;
