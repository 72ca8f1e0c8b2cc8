"""An author page's database reads at a million papers, as the site asks them and as before.

    .venv/bin/python bench/author_queries.py DATABASE [--names 300]

DATABASE is the site `bench/following.py --size 1000000` builds (its 600 names are drawn the
same way here: half the most prolific, half at random). Each query is timed in CPU time, in
one run, after an untimed pass (so the pages are in memory): the co-authors of the latest
RECENT_PAPERS papers against the latest 300 as before, and the spellings read from the index
of names by paper against from the table's rows as before.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

from dailypapers.storage import open_storage
from dailypapers.storage.follows_sql import _LATEST_OF_AUTHOR, _NEWEST, RECENT_PAPERS

COAUTHORS = (
    "SELECT other.norm_name, MIN(other.name), COUNT(DISTINCT other.paper_id)"
    f" FROM ({_LATEST_OF_AUTHOR}) mine JOIN paper_authors other"
    " ON other.paper_id = mine.paper_id AND other.norm_name <> ?"
    " GROUP BY other.norm_name ORDER BY COUNT(DISTINCT other.paper_id) DESC, other.norm_name"
    " LIMIT 30"
)
BEFORE = 300  # how many of the latest papers co-authors and spellings came from before
TABLE_SPELLINGS = (  # the spellings as they were read before: each row from the table
    f"SELECT name, COUNT(*) FROM (SELECT name FROM paper_authors WHERE norm_name = ?{_NEWEST}"
    " LIMIT ?) latest GROUP BY name ORDER BY COUNT(*) DESC, name"
)


def main() -> None:
    """Time each query over the same names, after one untimed pass."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database")
    parser.add_argument("--names", type=int, default=300)
    args = parser.parse_args()
    storage = open_storage(f"sqlite:///{args.database}")
    execute = storage._execute  # type: ignore[attr-defined]
    counts = Counter(
        row[0] for row in execute("SELECT norm_name FROM paper_authors WHERE rowid % 50 = 0")
    )
    rng = random.Random(42)
    half = args.names // 2
    names = [name for name, _ in counts.most_common(half)] + rng.sample(sorted(counts), half)
    queries: dict[str, Callable[[str], object]] = {
        f"co-authors, latest {RECENT_PAPERS} (now)": lambda n: storage.coauthors(n, limit=30),
        f"co-authors, latest {BEFORE} (before)": lambda n: execute(COAUTHORS, (n, BEFORE, n)),
        "spellings, index by paper (now)": storage.author_spellings,
        "spellings, table rows (before)": lambda n: execute(TABLE_SPELLINGS, (n, BEFORE)),
    }
    for name in names:  # warm: the first reads of the pages from disk
        for query in queries.values():
            query(name)
    for label, query in queries.items():
        times = []
        for name in names:
            began = time.process_time()
            query(name)
            times.append((time.process_time() - began) * 1000)
        ordered = sorted(times)
        p95 = ordered[round(0.95 * len(ordered)) - 1]
        print(f"{label:34s} mean {statistics.mean(times):5.2f}  p95 {p95:5.2f} ms CPU")
    storage.close()


if __name__ == "__main__":
    main()
