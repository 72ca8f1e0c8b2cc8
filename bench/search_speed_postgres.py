"""Lexical search speed on PostgreSQL (BM25 in SQL): plain and filtered queries, by size.

    .venv/bin/python bench/search_speed_postgres.py [--sizes 84000,300000] [--queries 200]

A throwaway PostgreSQL server (the test suite's) is filled with the shared data's real
papers through the import service, then with perturbed copies of them up to each size
(as bench/search_speed.py makes them: a tenth of the abstract's words dropped, a word
added to the title). The term statistics are brought up to date as the indexing job does
(`refresh_word_index`), then the queries of bench/search_speed.py (common words, words of
real abstracts, real titles) and its filtered queries are timed through `search_lexical`,
in process. No vectors: the hybrid figure on PostgreSQL adds pgvector's HNSW search.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from dailypapers.domain.search_query import parse_query
from dailypapers.services.importing import import_file
from dailypapers.storage import Storage, open_storage
from search_speed import COMMON_QUERIES, FILTERED_QUERIES, make_queries, percentile, perturbed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = [
    SHARED / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz",
    SHARED / "arxiv_daily" / "arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz",
]
BATCH = 5000


def grow(storage: Storage, size: int, rng: random.Random) -> float:
    """Add perturbed copies of the real papers until the site holds `size`; return seconds."""
    began = time.perf_counter()
    stored = storage.count_papers()
    ids = [row[0] for row in storage._execute("SELECT id FROM papers ORDER BY id")]  # type: ignore[attr-defined]
    real = len(ids)
    position = stored
    while position < size:
        chunk_ids = [ids[(position + n) % real] for n in range(min(BATCH, size - position))]
        originals = storage.get_papers(chunk_ids)
        chunk = []
        for offset, paper_id in enumerate(chunk_ids):
            copy = (position + offset) // real
            donor = originals[chunk_ids[rng.randrange(len(chunk_ids))]]
            chunk.append(perturbed(originals[paper_id], copy, position + offset, rng, donor))
        with storage.transaction():
            storage.save_papers(chunk)
        position += len(chunk)
    return time.perf_counter() - began


def time_queries(storage: Storage, queries: list[str]) -> dict[str, float]:
    """Return p50/p95 ms of the lexical search, and p95 of the common-word queries."""
    for query in queries[:10]:
        storage.search_lexical(parse_query(query), limit=100)
    times = []
    for query in queries:
        began = time.perf_counter()
        storage.search_lexical(parse_query(query), limit=100)
        times.append((time.perf_counter() - began) * 1000)
    common = [t for t, q in zip(times, queries, strict=True) if q in COMMON_QUERIES]
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "common_p95": percentile(common, 0.95),
    }


def time_filtered(storage: Storage) -> dict[str, float]:
    """Return the best of three in ms for each filtered query."""
    figures = {}
    for text in FILTERED_QUERIES:
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            storage.search_lexical(parse_query(text), limit=100)
            runs.append((time.perf_counter() - began) * 1000)
        figures[text] = min(runs)
    return figures


def main() -> None:
    """Build each size in turn on one server and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="84000,300000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.postgres_server import fresh_database, running_postgres

    with running_postgres() as server, fresh_database(server) as url:
        storage = open_storage(url)
        began = time.perf_counter()
        for path in FILES:
            with storage.transaction():
                import_file(storage=storage, path=path)
        print(
            f"imported {storage.count_papers():,} real papers"
            f" in {time.perf_counter() - began:.0f} s"
        )
        real = list(
            storage.get_papers(
                [row[0] for row in storage._execute("SELECT id FROM papers LIMIT 5000")]  # type: ignore[attr-defined]
            ).values()
        )
        queries = make_queries(real, args.queries)
        rng = random.Random(7)
        print(
            "| papers | grow | statistics | lexical p50 / p95 | common words p95 |"
            + "".join(f" `{q}` |" for q in FILTERED_QUERIES)
        )
        print("|" + " --- |" * (5 + len(FILTERED_QUERIES)))
        for size in (int(part) for part in args.sizes.split(",")):
            grow_s = grow(storage, size, rng)
            began = time.perf_counter()
            storage.refresh_word_index()
            stats_s = time.perf_counter() - began
            storage._execute("ANALYZE papers")  # type: ignore[attr-defined]
            plain = time_queries(storage, queries)
            filtered = time_filtered(storage)
            print(
                f"| {storage.count_papers():,} | {grow_s:.0f} s | {stats_s:.0f} s"
                f" | {plain['p50']:.1f} / {plain['p95']:.1f} ms | {plain['common_p95']:.1f} ms |"
                + "".join(f" {filtered[q]:.1f} ms |" for q in FILTERED_QUERIES),
                flush=True,
            )
        storage.close()


if __name__ == "__main__":
    main()
