"""A trial of BM25 from a postings table in PostgreSQL, against the word index beside it.

    .venv/bin/python bench/search_postings_postgres.py [--queries 200] [--per-lexeme 1000]

The alternative to a word index beside each host: the indexing job keeps one row per
(lexeme, paper) with the paper's BM25 term part (its label-weighted frequency, saturated
and normalised by length, as storage/lexical_postgresql.py scores it), under a B-tree
ordered by that part, so a search reads each query lexeme's best papers first and stops
after `--per-lexeme` of them (impact-ordered postings with early cut-off), sums idf x part
per paper and keeps the top 100. The shared data's real papers are imported into the test
suite's throwaway PostgreSQL server, the table is built from their tsvectors, and the
queries of bench/search_speed.py are timed through it, through the word index
(`search_lexical`) and through BM25 in SQL (`search_in_database`), in process. Prints the
table's build time and size beside the timings.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dailypapers.domain.search_query import parse_query
from dailypapers.services.importing import import_file
from dailypapers.storage import open_storage
from dailypapers.storage.lexical_postgresql import K1, B
from dailypapers.storage.postgresql import PostgresStorage
from search_speed import COMMON_QUERIES, make_queries, percentile
from search_speed_postgres import FILES

# The label weights of storage/lexical_postgresql.py: title (A), abstract (B), authors (C).
LABEL_WEIGHT = "CASE w WHEN 'A' THEN 1.0 WHEN 'B' THEN 0.5 WHEN 'C' THEN 0.2 ELSE 0.1 END"


def build_postings(storage: PostgresStorage) -> tuple[float, int, int]:
    """Fill the postings table from the papers' tsvectors; return seconds, rows, bytes."""
    began = time.perf_counter()
    average = float(
        storage._execute("SELECT total_length::float / papers FROM search_corpus_stats")[0][0]
    )
    storage._run_script(
        f"""
        CREATE TABLE search_postings AS
        SELECT t.lexeme, p.search_key AS key,
            (f.tf * {K1 + 1} / (f.tf + {K1} * ({1 - B} + {B} * length(p.search_text)
                / {average!r})))::real AS part
        FROM papers p, unnest(p.search_text) t,
            LATERAL (SELECT sum({LABEL_WEIGHT}) AS tf FROM unnest(t.weights) w) f;
        CREATE INDEX search_postings_by_part ON search_postings (lexeme, part DESC)
            INCLUDE (key);
        """
    )
    # The visibility map lets the searches read the index alone, never the table.
    storage._execute("VACUUM ANALYZE search_postings")
    seconds = time.perf_counter() - began
    rows = int(storage._execute("SELECT count(*) FROM search_postings")[0][0])
    size = int(storage._execute("SELECT pg_total_relation_size('search_postings')")[0][0])
    return seconds, rows, size


def search_postings(storage: PostgresStorage, text: str, per_lexeme: int) -> list[str]:
    """Return the top 100 ids by summed idf x part over each lexeme's best postings."""
    lexemes = storage._execute(
        "SELECT DISTINCT t.lexeme, COALESCE(s.docs, 1),"
        " (SELECT papers FROM search_corpus_stats)"
        " FROM unnest(to_tsvector('english', ?)) t"
        " LEFT JOIN search_term_stats s ON s.lexeme = t.lexeme",
        (text,),
    )
    if not lexemes:
        return []
    parts, params = [], []
    for lexeme, docs, papers in lexemes:
        idf = max(0.0, math.log(1 + (papers - docs + 0.5) / (docs + 0.5)))
        parts.append(
            f"(SELECT key, part * {idf!r} AS score FROM search_postings"
            " WHERE lexeme = ? ORDER BY part DESC LIMIT ?)"
        )
        params += [lexeme, per_lexeme]
    rows = storage._execute(
        f"SELECT p.id FROM (SELECT key, sum(score) AS score FROM ({' UNION ALL '.join(parts)}) u"
        " GROUP BY key ORDER BY score DESC LIMIT 100) best"
        " JOIN papers p ON p.search_key = best.key ORDER BY best.score DESC",
        params,
    )
    return [row[0] for row in rows]


def timed(search: Callable[[str], object], queries: list[str]) -> str:
    """Return 'p50 / p95 ms (common words p95)' of a search over the queries."""
    for query in queries[:10]:
        search(query)
    times = []
    for query in queries:
        began = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - began) * 1000)
    common = [t for t, q in zip(times, queries, strict=True) if q in COMMON_QUERIES]
    return (
        f"{statistics.median(times):.1f} / {percentile(times, 0.95):.1f} ms"
        f" | {percentile(common, 0.95):.1f} ms"
    )


def main() -> None:
    """Import the real papers, build both indexes, time the three rankings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--per-lexeme", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.postgres_server import fresh_database, running_postgres

    with (
        running_postgres() as server,
        fresh_database(server) as url,
        tempfile.TemporaryDirectory(prefix="word-indexes") as folder,
    ):
        storage = open_storage(url, word_index_folder=folder)
        assert isinstance(storage, PostgresStorage)
        for path in FILES:
            with storage.transaction():
                import_file(storage=storage, path=path)
        began = time.perf_counter()
        storage.refresh_word_index()
        index_s = time.perf_counter() - began
        index_bytes = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
        postings_s, rows, size = build_postings(storage)
        storage._execute("ANALYZE")
        queries = make_queries(
            list(
                storage.get_papers(
                    [row[0] for row in storage._execute("SELECT id FROM papers LIMIT 5000")]
                ).values()
            ),
            args.queries,
        )
        print(f"{storage.count_papers():,} papers, {len(queries)} queries\n")
        print("| ranking | build | size | p50 / p95 | common words p95 |")
        print("| --- | --- | --- | --- | --- |")
        words = timed(lambda q: storage.search_lexical(parse_query(q), limit=100), queries)
        print(
            f"| word index (tantivy, beside the database) | {index_s:.0f} s (with statistics)"
            f" | {index_bytes / 2**20:.0f} MB | {words} |"
        )
        postings = timed(lambda q: search_postings(storage, q, args.per_lexeme), queries)
        print(
            f"| postings table, best {args.per_lexeme} per lexeme | {postings_s:.0f} s"
            f" | {size / 2**20:.0f} MB ({rows:,} rows) | {postings} |"
        )
        in_sql = timed(lambda q: storage.search_in_database(parse_query(q), limit=100), queries)
        print(f"| BM25 in SQL (bounded scoring) | - | - | {in_sql} |")
        storage.close()


if __name__ == "__main__":
    main()
