-- BM25 on PostgreSQL: how many papers hold each lexeme, and the corpus's size and length,
-- folded in by the indexing job from the papers added since its last run (through_key is
-- the last search_key counted), so that no write waits on these rows.
CREATE TABLE search_term_stats (
    lexeme TEXT PRIMARY KEY,
    docs BIGINT NOT NULL
);
CREATE TABLE search_corpus_stats (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    papers BIGINT NOT NULL,
    total_length BIGINT NOT NULL,             -- sum of the papers' distinct lexemes
    through_key BIGINT NOT NULL,
    refreshed_at TIMESTAMPTZ
);
INSERT INTO search_corpus_stats (papers, total_length, through_key) VALUES (0, 0, 0);

-- Many workers: every write transaction used to add one to site_state's single row, so
-- writers waited on each other for that row. Now each adds one to one of 64 rows picked at
-- random, and the page caches read the sum: any commit still changes it, and two writers
-- wait on each other only when they pick the same row.
CREATE TABLE site_changes (
    shard INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL
);
INSERT INTO site_changes (shard, changes)
    SELECT shard, CASE WHEN shard = 0 THEN (SELECT value FROM site_state WHERE key = 'generation')
        ELSE 0 END
    FROM generate_series(0, 63) AS shard;
DROP TABLE site_state;

-- Scheduled jobs shared by several `dailypapers worker` processes: one row per job, the
-- slot (the moment it fell due) its last run was for, and who holds that run under a lease
-- renewed while it works. A worker killed mid-run leaves a lease that lapses, and another
-- worker takes the same slot over.
CREATE TABLE job_runs (
    job TEXT PRIMARY KEY,
    slot TEXT NOT NULL,                       -- fixed-width ISO 8601 UTC, compared as text
    owner TEXT NOT NULL,
    started_at TEXT NOT NULL,
    lease_until TEXT,                         -- NULL once finished
    finished_at TEXT
);

-- `has:code` searches: the words of papers that link code, in an index of their own, so a
-- common word with the filter reads only those papers' postings (the condition is written
-- as storage/search_sql.py's filter writes it, so the planner matches it).
CREATE INDEX papers_search_text_with_code ON papers USING gin (search_text)
    WHERE COALESCE(github_repo, '') <> '';
