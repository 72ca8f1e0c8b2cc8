-- Upvotes are private to their member until the member makes them public: a row here.
CREATE TABLE public_upvotes (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
