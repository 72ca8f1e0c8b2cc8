-- arXiv ingestion: withdrawn papers are marked, not deleted; harvests keep their cursor.
ALTER TABLE papers ADD COLUMN withdrawn BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE harvest_state (
    name TEXT PRIMARY KEY,          -- what the harvest asks for, e.g. its set and dates
    cursor TEXT,                    -- the next page's resumption token
    pages INTEGER NOT NULL,
    records BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
