-- Papers, the days they were featured, and organizations.
CREATE TABLE papers (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors TEXT NOT NULL,                    -- JSON array of names, in order
    version INTEGER NOT NULL DEFAULT 0,
    categories TEXT NOT NULL DEFAULT '[]',    -- JSON array, primary first
    published_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    arxiv_comment TEXT,
    github_repo TEXT,
    github_stars INTEGER,
    project_page TEXT,
    ai_summary TEXT,
    ai_keywords TEXT NOT NULL DEFAULT '[]',
    upvotes INTEGER NOT NULL DEFAULT 0,
    num_comments INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE organizations (
    name TEXT PRIMARY KEY,
    fullname TEXT NOT NULL,
    avatar_url TEXT
);

CREATE TABLE daily_entries (
    paper_id TEXT PRIMARY KEY REFERENCES papers (id),
    day DATE NOT NULL,
    featured_at TIMESTAMPTZ NOT NULL,
    submitted_by TEXT,
    organization TEXT REFERENCES organizations (name)
);
CREATE INDEX daily_entries_by_day ON daily_entries (day);
CREATE INDEX daily_entries_by_organization ON daily_entries (organization, day);
CREATE INDEX daily_entries_by_submitter ON daily_entries (submitted_by, day);

-- A counter bumped by every write, so caches know when to let go.
CREATE TABLE site_state (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO site_state (key, value) VALUES ('generation', 0);
