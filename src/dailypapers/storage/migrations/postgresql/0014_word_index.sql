-- The word index beside each web host (tantivy, as on SQLite: it ranks a common word among
-- a million papers without scoring every match) learns which papers' words changed from
-- this table: one row per paper, stamped with the transaction that last changed it.
-- Transactions commit out of the order their ids or any sequence were drawn in, so a
-- reader never trusts "the highest seen": it holds every change of transactions below
-- its snapshot's xmin (all finished) and reads again what is above it (see
-- storage/words_postgresql.py). One row per paper, so no write waits on a shared row.
-- No rows for the papers stored before: a host without an index builds it from the papers.
CREATE TABLE paper_text_changes (
    paper_key BIGINT PRIMARY KEY,             -- papers.search_key (kept after a delete)
    xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX paper_text_changes_by_xid ON paper_text_changes (xid, paper_key);

CREATE FUNCTION note_text_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO paper_text_changes (paper_key)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.search_key ELSE NEW.search_key END)
        ON CONFLICT (paper_key) DO UPDATE SET xid = pg_current_xact_id();
    RETURN NULL;
END
$$;
CREATE TRIGGER papers_words_insert AFTER INSERT OR DELETE ON papers FOR EACH ROW
    EXECUTE FUNCTION note_text_change();
-- Also what the filters the index answers read: categories, the date, the code link.
CREATE TRIGGER papers_words_update
    AFTER UPDATE OF title, abstract, authors, ai_keywords, categories, published_at, github_repo
    ON papers FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract
        OR OLD.authors IS DISTINCT FROM NEW.authors
        OR OLD.ai_keywords IS DISTINCT FROM NEW.ai_keywords
        OR OLD.categories IS DISTINCT FROM NEW.categories
        OR OLD.published_at IS DISTINCT FROM NEW.published_at
        OR OLD.github_repo IS DISTINCT FROM NEW.github_repo)
    EXECUTE FUNCTION note_text_change();

-- Which database an index was built from: a database dropped and made again under the
-- same name starts its transaction ids elsewhere, and its hosts' indexes must be rebuilt.
CREATE TABLE word_index_origin (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    token TEXT NOT NULL
);
INSERT INTO word_index_origin (token) VALUES (md5(random()::text || clock_timestamp()::text));
