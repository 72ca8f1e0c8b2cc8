-- Follows and author pages: an index of folded author names and of categories (so an
-- author's or a category's papers are found without reading every paper), what members
-- follow, and their choices about it. The indexes end in paper_id so that listing newest
-- first reads the index alone. The name index is filled from the papers by a step
-- that runs with this migration (storage/follows_sql.py), and kept by save_papers.

CREATE TABLE paper_authors (
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,                       -- as the paper spells it
    norm_name TEXT NOT NULL,                  -- folded: accents, case, punctuation set aside
    family TEXT NOT NULL,                     -- the folded name's last word
    published_at TEXT,                        -- the paper's, so newest-first reads the index
    PRIMARY KEY (paper_id, position)
);
CREATE INDEX paper_authors_by_name ON paper_authors (norm_name, published_at DESC, paper_id);
CREATE INDEX paper_authors_by_family ON paper_authors (family);

CREATE TABLE paper_categories (
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    published_at TEXT,
    PRIMARY KEY (paper_id, category)
);
CREATE INDEX paper_categories_by_category ON paper_categories (category, published_at DESC, paper_id);

CREATE TABLE follows (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                       -- author | organization | category | search
    key TEXT NOT NULL,                        -- what it matches by (a folded name, ...)
    label TEXT NOT NULL,                      -- how it is shown
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, key)
);

CREATE TABLE follow_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    public INTEGER NOT NULL DEFAULT 0,        -- others may see what the member follows
    feed_version INTEGER NOT NULL DEFAULT 0,  -- part of the private feed's signed secret
    digest_following INTEGER NOT NULL DEFAULT 0
);
