-- A ranking over all time reads the papers with votes or comments (the others score 0 and
-- follow newest first): found through this index, not by reading every entry and its
-- paper's row (SQLite, 80,317 papers of which 9,812 attended: 106 to 11 ms). Partial and
-- covering: the predicate is the one `each_rankable(attended=True)` writes, word for word.
CREATE INDEX papers_attended ON papers (id, upvotes, local_upvotes, num_comments, local_comments)
    WHERE upvotes + local_upvotes + num_comments + local_comments > 0;
