-- Organization avatars kept here, fetched once from where the source pointed, so pages
-- never load an image from another site.
CREATE TABLE organization_avatars (
    name TEXT PRIMARY KEY REFERENCES organizations (name) ON DELETE CASCADE,
    content_type TEXT NOT NULL,               -- image/png | image/jpeg | image/gif | image/webp
    data BYTEA NOT NULL,
    source_url TEXT NOT NULL,                 -- the address it was fetched from
    fetched_at TIMESTAMPTZ NOT NULL
);
