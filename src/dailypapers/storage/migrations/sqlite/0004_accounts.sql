-- Accounts and community (issue 5): members, sessions, tokens, votes, comments,
-- organization members, authorship claims, moderation and rate limits.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    fullname TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL,                      -- lowercased
    password_hash TEXT NOT NULL,              -- argon2id, in PHC string form
    role TEXT NOT NULL DEFAULT 'member',      -- member | moderator | admin
    created_at TEXT NOT NULL,
    banned_at TEXT
);
CREATE UNIQUE INDEX users_by_username ON users (lower(username));
CREATE UNIQUE INDEX users_by_email ON users (email);

-- Secrets are stored as SHA-256 digests: a leaked table signs nobody in. They are random
-- 256-bit values, so a fast digest is enough (no password hashing needed).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE access_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);

-- Links mailed for password resets and sign-up confirmations; each works once.
CREATE TABLE mailed_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,                    -- reset | signup
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    payload TEXT NOT NULL DEFAULT '{}',       -- JSON: a pending sign-up's details
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- One vote per member and paper, enforced here; papers.local_upvotes counts them and is
-- changed in the same transaction as the row, so the live count never drifts.
CREATE TABLE votes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);
CREATE INDEX votes_by_paper ON votes (paper_id);
ALTER TABLE papers ADD COLUMN local_upvotes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE papers ADD COLUMN local_comments INTEGER NOT NULL DEFAULT 0;

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    parent_id INTEGER REFERENCES comments (id),
    body TEXT NOT NULL,                       -- Markdown as written
    created_at TEXT NOT NULL,
    edited_at TEXT,
    deleted_at TEXT,
    hidden_at TEXT,
    hidden_by INTEGER REFERENCES users (id)
);
CREATE INDEX comments_by_paper ON comments (paper_id, created_at);
CREATE INDEX comments_by_user ON comments (user_id);

-- Local submissions name their member; imported ones only carry a Hugging Face username.
ALTER TABLE daily_entries ADD COLUMN submitter_id INTEGER REFERENCES users (id);
ALTER TABLE daily_entries ADD COLUMN hidden_at TEXT;
ALTER TABLE daily_entries ADD COLUMN hidden_by INTEGER REFERENCES users (id);
CREATE INDEX daily_entries_by_submitter_id ON daily_entries (submitter_id);

ALTER TABLE organizations ADD COLUMN created_at TEXT;

CREATE TABLE organization_members (
    organization TEXT NOT NULL REFERENCES organizations (name),
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                       -- owner | member
    invited_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    accepted_at TEXT,                         -- NULL while the invitation is open
    PRIMARY KEY (organization, user_id)
);
CREATE INDEX organization_members_by_user ON organization_members (user_id);

CREATE TABLE authorship_claims (
    id INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL REFERENCES papers (id),
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | approved | rejected
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER REFERENCES users (id),
    UNIQUE (paper_id, user_id)
);
CREATE INDEX authorship_claims_by_status ON authorship_claims (status, created_at);
CREATE INDEX authorship_claims_by_user ON authorship_claims (user_id);

-- Sliding-window counters: one row per key and fixed window.
CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,            -- Unix seconds
    hits INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
