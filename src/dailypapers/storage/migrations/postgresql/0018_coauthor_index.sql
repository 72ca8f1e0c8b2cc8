-- An author page lists the co-authors of the author's latest papers: each of those papers'
-- names, read from an index that holds them, not from the table row by row (at a million
-- papers this halves the page's database time; docs/performance.md, "Following").
CREATE INDEX paper_authors_by_paper ON paper_authors (paper_id, norm_name, name);
