-- Many workers: every write transaction used to add one to site_state's single row. Now
-- each adds one to one of 64 rows picked at random, and the page caches read the sum: any
-- commit still changes it. (SQLite has one writer at a time anyway; the schema is
-- PostgreSQL's, where writers would otherwise wait on each other for one row.)
CREATE TABLE site_changes (
    shard INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL
);
WITH RECURSIVE shards (shard) AS (SELECT 0 UNION ALL SELECT shard + 1 FROM shards WHERE shard < 63)
INSERT INTO site_changes (shard, changes)
    SELECT shard, CASE WHEN shard = 0 THEN (SELECT value FROM site_state WHERE key = 'generation')
        ELSE 0 END
    FROM shards;
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
