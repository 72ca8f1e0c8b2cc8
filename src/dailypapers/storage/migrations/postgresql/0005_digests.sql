-- Email digests: subscribers, the outbox every message goes through, what each digest held,
-- and the composing of each period's digests.

-- Identity numbers are never reused, so old links stay with their subscriber.
CREATE TABLE subscribers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    status TEXT NOT NULL,                     -- pending | confirmed | unsubscribed | bouncing
    frequency TEXT NOT NULL,                  -- daily | weekly
    top_count INTEGER NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]',    -- JSON arrays of what the subscriber follows
    authors TEXT NOT NULL DEFAULT '[]',
    organizations TEXT NOT NULL DEFAULT '[]',
    queries TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL,
    status_at TIMESTAMPTZ NOT NULL,
    noticed_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX subscribers_by_email ON subscribers (lower(email));
CREATE INDEX subscribers_by_status ON subscribers (status, frequency, id);

-- Every message waits here until a server took it. A worker leases a batch (lease_owner,
-- lease_until) and marks each message sent as soon as the server accepted it.
CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,                       -- digest | confirmation | notice
    dedupe_key TEXT NOT NULL UNIQUE,          -- a message is composed once: digest:17:2026-W48
    subscriber_id BIGINT REFERENCES subscribers (id) ON DELETE SET NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    data BYTEA,                               -- zlib-compressed RFC 5322 bytes; NULL once sent
    state TEXT NOT NULL,                      -- pending | sent | failed | cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    hard_failures INTEGER NOT NULL DEFAULT 0, -- permanent (5xx) refusals
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_subscriber ON outbox (subscriber_id) WHERE state = 'pending';

-- The papers each reader's digest of a period held: never send a paper twice.
CREATE TABLE digests (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    period TEXT NOT NULL,                     -- 2026-11-24 or 2026-W48
    period_start DATE NOT NULL,                 -- inclusive
    period_end DATE NOT NULL,                   -- exclusive
    paper_ids TEXT NOT NULL,                  -- JSON array
    outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    composed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscriber_id, period)
);

-- One row per period whose digests are being or were composed; a lease lets one worker
-- compose while others wait, and another take over if it dies.
CREATE TABLE digest_runs (
    period TEXT PRIMARY KEY,
    frequency TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    composed INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ
);
