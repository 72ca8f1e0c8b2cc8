-- arXiv ingestion: withdrawn papers are marked, not deleted; harvests keep their cursor.
ALTER TABLE papers ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;

CREATE TABLE harvest_state (
    name TEXT PRIMARY KEY,          -- what the harvest asks for, e.g. its set and dates
    cursor TEXT,                    -- the next page's resumption token
    pages INTEGER NOT NULL,
    records INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
