-- Email digests: subscribers, the outbox every message goes through, what each digest held,
-- and the composing of each period's digests.

-- AUTOINCREMENT: a number is never given to a second subscriber, so old links stay theirs.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    status TEXT NOT NULL,                     -- pending | confirmed | unsubscribed | bouncing
    frequency TEXT NOT NULL,                  -- daily | weekly
    top_count INTEGER NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]',    -- JSON arrays of what the subscriber follows
    authors TEXT NOT NULL DEFAULT '[]',
    organizations TEXT NOT NULL DEFAULT '[]',
    queries TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,                 -- ISO 8601, UTC
    status_at TEXT NOT NULL,
    noticed_at TEXT
);
CREATE UNIQUE INDEX subscribers_by_email ON subscribers (lower(email));
CREATE INDEX subscribers_by_status ON subscribers (status, frequency, id);

-- Every message waits here until a server took it. A worker leases a batch (lease_owner,
-- lease_until) and marks each message sent as soon as the server accepted it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                       -- digest | confirmation | notice
    dedupe_key TEXT NOT NULL UNIQUE,          -- a message is composed once: digest:17:2026-W48
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    data BLOB,                                -- zlib-compressed RFC 5322 bytes; NULL once sent
    state TEXT NOT NULL,                      -- pending | sent | failed | cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    hard_failures INTEGER NOT NULL DEFAULT 0, -- permanent (5xx) refusals
    next_attempt_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_subscriber ON outbox (subscriber_id) WHERE state = 'pending';

-- The papers each reader's digest of a period held: never send a paper twice.
CREATE TABLE digests (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    period TEXT NOT NULL,                     -- 2026-11-24 or 2026-W48
    period_start TEXT NOT NULL,               -- YYYY-MM-DD, inclusive
    period_end TEXT NOT NULL,                 -- exclusive
    paper_ids TEXT NOT NULL,                  -- JSON array
    outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
    composed_at TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, period)
);

-- One row per period whose digests are being or were composed; a lease lets one worker
-- compose while others wait, and another take over if it dies.
CREATE TABLE digest_runs (
    period TEXT PRIMARY KEY,
    frequency TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    composed INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TEXT
);
