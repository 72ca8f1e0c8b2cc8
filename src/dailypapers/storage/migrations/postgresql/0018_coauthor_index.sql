-- An author page lists the co-authors of the author's latest papers: each of those papers'
-- names, read from an index that holds them rather than row by row from the table
-- (docs/performance.md, "A followed search lists its newest matches").
CREATE INDEX paper_authors_by_paper ON paper_authors (paper_id, norm_name, name);
