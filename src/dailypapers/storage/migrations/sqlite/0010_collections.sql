-- Your feed: reading lists (collections), "not interested" clicks, the papers a member picked
-- to start recommendations from, and one fitted linear model per member.

CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL DEFAULT 0,        -- 0: only its owner sees it
    is_default INTEGER NOT NULL DEFAULT 0,    -- the "Saved" list the Save button fills
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX collections_by_owner_name ON collections (user_id, lower(name));

CREATE TABLE collection_papers (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
);
CREATE INDEX collection_papers_by_paper ON collection_papers (paper_id);

CREATE TABLE dismissals (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);

-- Papers a member named on first visit (pasted, or the leaders of categories they picked).
CREATE TABLE interest_seeds (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);

-- signals_version grows with each upvote, save, dismissal or seed; the background job refits
-- the members whose fitted_version lags behind it. weights: float32 little-endian.
CREATE TABLE member_models (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    signals_version INTEGER NOT NULL DEFAULT 1,
    fitted_version INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    weights BLOB,
    bias REAL NOT NULL DEFAULT 0,
    positives INTEGER NOT NULL DEFAULT 0,
    negatives INTEGER NOT NULL DEFAULT 0,
    fitted_at TEXT
);
CREATE INDEX member_models_stale ON member_models (user_id)
    WHERE signals_version > fitted_version;

-- Members who asked for a "For you" section in their email digest.
CREATE TABLE digest_for_you (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
