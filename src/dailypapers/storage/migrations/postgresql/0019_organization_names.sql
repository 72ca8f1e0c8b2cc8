-- `org:` and digest topics find an organization by whole words of its short or full name,
-- accents, case and punctuation aside ("montreal": "Université de Montréal"): those names
-- folded in Python (Organization.folded_names), which SQL cannot do on both databases.
-- Filled by a step that runs with this migration (storage/sql.py), kept by every write.
ALTER TABLE organizations ADD COLUMN folded_names TEXT NOT NULL DEFAULT '';
