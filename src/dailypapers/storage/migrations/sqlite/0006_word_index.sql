-- The word index beside the database (tantivy: it ranks a common word among a million papers
-- without scoring every match, which FTS5's bm25 must) learns which papers' words changed
-- from this table. One row per paper: a change replaces the row, and with it the seq
-- (AUTOINCREMENT never reuses one), so the index knows which papers it has not seen since.
-- (DELETE then INSERT, not INSERT OR REPLACE: an upsert's own conflict rule would override
-- the trigger's.)
CREATE TABLE paper_text_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_key INTEGER NOT NULL UNIQUE
);

-- The key may not exist yet: the order in which SQLite runs two triggers of one event is
-- not defined, so this one does not count on papers_search_insert having run first.
CREATE TRIGGER papers_words_insert AFTER INSERT ON papers BEGIN
    INSERT OR IGNORE INTO paper_keys (paper_id) VALUES (new.id);
    DELETE FROM paper_text_changes
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = new.id);
    INSERT INTO paper_text_changes (paper_key) SELECT key FROM paper_keys WHERE paper_id = new.id;
END;

-- Also what the filters the index answers read: categories, the date, the code link.
CREATE TRIGGER papers_words_update
AFTER UPDATE OF title, abstract, authors, categories, published_at, github_repo ON papers
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
    OR old.authors IS NOT new.authors OR old.categories IS NOT new.categories
    OR old.published_at IS NOT new.published_at OR old.github_repo IS NOT new.github_repo
BEGIN
    DELETE FROM paper_text_changes
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = new.id);
    INSERT INTO paper_text_changes (paper_key) SELECT key FROM paper_keys WHERE paper_id = new.id;
END;

CREATE TRIGGER papers_words_delete AFTER DELETE ON papers BEGIN
    DELETE FROM paper_text_changes
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = old.id);
    INSERT INTO paper_text_changes (paper_key) SELECT key FROM paper_keys WHERE paper_id = old.id;
END;

-- The papers stored before this migration.
INSERT INTO paper_text_changes (paper_key) SELECT key FROM paper_keys ORDER BY key;
