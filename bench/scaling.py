"""Measure what docs/scaling.md is computed from: per-operation costs and bytes per row.

Builds a site of N made-up papers (each featured on a day, 200 a day, with a 384-dimension
unit vector) and M members' votes, on a throwaway PostgreSQL server and on SQLite, then times
single operations from one thread, one after another (each a transaction of its own where it
writes): a vote, a comment, a week's listing (rank the week, then load its 30 papers), a
paper page's storage reads, a nearest-neighbour search through pgvector HNSW. It prints the
storage each kind of row takes (PostgreSQL: table plus indexes) and the `db copy` rate from
SQLite to PostgreSQL.

    .venv/bin/python bench/scaling.py [--papers 20000] [--votes 20000] [--ops 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dailypapers.domain.accounts import Role
from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.copying import copy_tables, prepare_copy

from support.postgres_server import running_postgres

MODEL = "bench-384"
DIMENSION = 384
START = date(2025, 1, 1)
PER_DAY = 200
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def build(storage: Storage, papers: int, votes: int, rng: random.Random) -> list[str]:
    """Fill the storage; return the paper ids."""
    ids = [f"25{n // 100000:02d}.{n % 100000:05d}" for n in range(papers)]
    vectors = np.random.default_rng(1).standard_normal((papers, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for start in range(0, papers, 2000):
        chunk = ids[start : start + 2000]
        with storage.transaction():
            storage.save_papers([_paper(paper_id, n + start) for n, paper_id in enumerate(chunk)])
            storage.save_entries(
                [
                    DailyEntry(
                        paper_id,
                        START + timedelta(days=(n + start) // PER_DAY),
                        NOW,
                        submitted_by="bench",
                    )
                    for n, paper_id in enumerate(chunk)
                ]
            )
            storage.save_embeddings(
                model=MODEL, paper_ids=chunk, vectors=vectors[start : start + len(chunk)]
            )
    members = max(1, votes // 20)
    with storage.transaction():
        for n in range(members):
            storage.create_user(
                username=f"member{n}",
                fullname="",
                email=f"member{n}@example.org",
                password_hash="$argon2id$v=19$m=65536,t=3,p=4$bench$bench",
                role=Role.MEMBER,
                now=NOW,
            )
    user_ids = [row[0] for row in storage._execute("SELECT id FROM users")]  # type: ignore[attr-defined]
    pairs = {(rng.choice(user_ids), rng.choice(ids)) for _ in range(votes)}
    with storage.transaction():
        for user_id, paper_id in pairs:
            storage.add_vote(user_id=user_id, paper_id=paper_id, now=NOW)
    storage.refresh_vector_index(model=MODEL)
    return ids


def _paper(paper_id: str, n: int) -> Paper:
    return Paper(
        id=paper_id,
        title=f"Made-up paper {n} on attention, retrieval and sparse training",
        abstract=" ".join(["We study a question of some interest to the field."] * 18),
        authors=tuple(f"Author {n % 997} {k}" for k in range(6)),
        categories=("cs.LG", "cs.CL"),
        published_at=NOW,
        updated_at=NOW,
    )


def timed(operation: Callable[[int], object], count: int) -> tuple[float, float]:
    """Return p50 and p95 in ms of running the operation count times."""
    took = []
    for n in range(count):
        started = time.perf_counter()
        operation(n)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1]


def measure(
    storage: Storage, ids: list[str], ops: int, rng: random.Random
) -> dict[str, tuple[float, float]]:
    """Time one operation of each kind."""
    user_ids = [row[0] for row in storage._execute("SELECT id FROM users")]  # type: ignore[attr-defined]
    days = len(ids) // PER_DAY
    probe = storage.get_embedding(model=MODEL, paper_id=ids[0])
    assert probe is not None

    def vote(n: int) -> None:
        with storage.transaction():
            storage.add_vote(user_id=rng.choice(user_ids), paper_id=rng.choice(ids), now=NOW)

    def comment(n: int) -> None:
        with storage.transaction():
            storage.add_comment(
                paper_id=rng.choice(ids),
                user_id=user_ids[0],
                parent_id=None,
                body="A remark.",
                now=NOW,
            )

    def week(n: int) -> None:
        start = START + timedelta(days=rng.randrange(max(1, days - 7)))
        ranked = storage.rankables(start=start, end=start + timedelta(days=7))
        storage.featured_papers([item.paper_id for item in ranked[:30]])

    def paper_page(n: int) -> None:
        paper_id = rng.choice(ids)
        storage.featured_papers([paper_id])
        storage.paper_comments(paper_id)
        storage.voted_paper_ids(user_ids[0], [paper_id])

    def nearest(n: int) -> None:
        storage.nearest_papers(model=MODEL, vector=probe, limit=30)

    return {
        "vote (write, own transaction)": timed(vote, ops),
        "comment (write, own transaction)": timed(comment, ops),
        "week listing (rank a week, load 30)": timed(week, max(20, ops // 10)),
        "paper page reads": timed(paper_page, ops),
        "nearest 30 by vector (HNSW)": timed(nearest, ops),
    }


def postgres_sizes(storage: Storage) -> dict[str, float]:
    """Return bytes per row of each large table, indexes included."""
    sizes = {}
    for table in ("papers", "daily_entries", "votes", "comments", "paper_embeddings"):
        total, rows = storage._execute(  # type: ignore[attr-defined]
            f"SELECT pg_total_relation_size('{table}'), (SELECT COUNT(*) FROM {table})"
        )[0]
        sizes[table] = total / max(rows, 1)
    hnsw = storage._execute(  # type: ignore[attr-defined]
        "SELECT COALESCE(SUM(pg_relation_size(indexrelid)), 0) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE starts_with(c.relname, 'paper_embeddings_hnsw')"
    )[0][0]
    vectors = storage._execute("SELECT COUNT(*) FROM paper_embeddings")[0][0]  # type: ignore[attr-defined]
    sizes["HNSW index alone, per vector"] = hnsw / max(vectors, 1)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--votes", type=int, default=20000)
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    print(
        f"{args.papers:,} papers, {args.votes:,} votes, {os.cpu_count()} cores,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as folder, running_postgres() as url:
        results = {}
        stores = {
            "sqlite": open_storage(f"sqlite:///{Path(folder) / 'bench.db'}"),
            "postgresql": open_storage(url),
        }
        for name, storage in stores.items():
            started = time.perf_counter()
            ids = build(storage, args.papers, args.votes, random.Random(7))
            print(f"{name}: built in {time.perf_counter() - started:.0f} s")
            results[name] = measure(storage, ids, args.ops, random.Random(11))
        print(
            "\n| operation | SQLite p50 / p95 ms | PostgreSQL p50 / p95 ms |\n| --- | ---: | ---: |"
        )
        for operation in results["sqlite"]:
            (s50, s95), (p50, p95) = results["sqlite"][operation], results["postgresql"][operation]
            print(f"| {operation} | {s50:.2f} / {s95:.2f} | {p50:.2f} / {p95:.2f} |")
        print("\n| PostgreSQL table | bytes per row, with indexes |\n| --- | ---: |")
        for table, size in postgres_sizes(stores["postgresql"]).items():
            print(f"| {table} | {size:,.0f} |")
        with tempfile.TemporaryDirectory() as other, running_postgres() as second:
            target = open_storage(second)
            plan = prepare_copy(stores["sqlite"], target, force=False)
            rows = sum(
                int(stores["sqlite"]._execute(f'SELECT COUNT(*) FROM "{t.name}"')[0][0])
                for t in plan.tables
            )  # type: ignore[attr-defined]
            started = time.perf_counter()
            copy_tables(stores["sqlite"], target, plan)
            seconds = time.perf_counter() - started
            rate = f"{rows / seconds:,.0f} rows/s, HNSW build included"
            print(f"\ndb copy SQLite -> PostgreSQL: {rows:,} rows in {seconds:.1f} s ({rate})")
            del other


if __name__ == "__main__":
    main()
