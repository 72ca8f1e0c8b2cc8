"""Search speed on PostgreSQL: hybrid, the word index, BM25 in SQL, filtered queries, by size.

    .venv/bin/python bench/search_speed_postgres.py [--sizes 100000] [--queries 200]

A throwaway PostgreSQL server (the test suite's) is filled with the shared data's real
papers through the import service, then with perturbed copies of them up to each size
(as bench/search_speed.py makes them: a tenth of the abstract's words dropped, a word
added to the title). The indexing job's work is done as it does it (`refresh_word_index`:
the SQL ranking's term statistics, then this host's word index, in a temporary folder).
Every paper gets a random unit vector of the packaged model's dimension, made by the
server (embedding a million papers takes hours here), and pgvector's HNSW index is built
over them: random vectors have no structure for the graph to use, so its search costs at
least what real ones would. Then the queries of bench/search_speed.py (common words, words
of real abstracts, real titles) are timed in process: hybrid as the site runs it (query
embedded by the real model, the word index, HNSW, fusion), the word index alone, BM25 in
SQL alone (what answers while a host builds its index), the query embedding alone and the
HNSW search alone; and its filtered queries through the word index and through the hybrid
search, best of three.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import HybridSearcher
from dailypapers.services.importing import import_file
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.postgresql import PostgresStorage
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


def add_random_vectors(storage: PostgresStorage, model: str, dimension: int) -> float:
    """Give every paper without one a random vector, then the HNSW index; return seconds."""
    began = time.perf_counter()
    # `p.id IS NOT NULL` ties the subquery to each paper, so each gets its own vector.
    storage._execute(
        "INSERT INTO paper_embeddings (model, paper_id, embedding)"
        " SELECT ?, p.id, (SELECT array_agg(random() - 0.5)"
        " FROM generate_series(1, ?) WHERE p.id IS NOT NULL)::vector FROM papers p"
        " WHERE NOT EXISTS (SELECT 1 FROM paper_embeddings e WHERE e.paper_id = p.id)",
        (model, dimension),
    )
    storage._ensure_vector_index(model, dimension)  # built in bulk the first time
    return time.perf_counter() - began


def time_queries(search: Callable[[str], object], queries: list[str]) -> dict[str, float]:
    """Return p50/p95 ms of a search, and p95 of the common-word queries."""
    for query in queries[:10]:
        search(query)
    times = []
    for query in queries:
        began = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - began) * 1000)
    common = [t for t, q in zip(times, queries, strict=True) if q in COMMON_QUERIES]
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "common_p95": percentile(common, 0.95),
    }


def best_of_three(search: Callable[[str], object]) -> dict[str, float]:
    """Return the best of three in ms for each filtered query."""
    figures = {}
    for text in FILTERED_QUERIES:
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            search(text)
            runs.append((time.perf_counter() - began) * 1000)
        figures[text] = min(runs)
    return figures


def main() -> None:
    """Build each size in turn on one server and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.postgres_server import fresh_database, running_postgres

    embedder = default_embedder()
    model = embedder.model_name
    dimension = len(embedder.embed_query("a query"))
    searcher = HybridSearcher(load_embedder=lambda: embedder, model_name=model, timeout_s=1.0)
    with (
        running_postgres() as server,
        fresh_database(server) as url,
        tempfile.TemporaryDirectory(prefix="word-indexes") as folder,
    ):
        storage = open_storage(url, word_index_folder=folder)
        assert isinstance(storage, PostgresStorage)
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
                [row[0] for row in storage._execute("SELECT id FROM papers LIMIT 5000")]
            ).values()
        )
        queries = make_queries(real, args.queries)
        rng = random.Random(7)

        vectors = {query: embedder.embed_query(query) for query in queries}

        def embed(text: str) -> object:
            return embedder.embed_query(text)

        def nearest(text: str) -> object:
            return storage.nearest_papers(model=model, vector=vectors[text], limit=100)

        def hybrid(text: str) -> object:
            return searcher.search(storage, parse_query(text), limit=100)

        def words(text: str) -> object:
            return storage.search_lexical(parse_query(text), limit=100)

        def in_sql(text: str) -> object:
            return storage.search_in_database(parse_query(text), limit=100)

        print(
            "| papers | grow | statistics + word index | vectors + HNSW | hybrid p50 / p95"
            " | word index p50 / p95 | word index p95, common words | BM25 in SQL p50 / p95"
            " | BM25 in SQL p95, common words | query embedding p50 / p95 | HNSW p50 / p95 |"
        )
        print("|" + " --- |" * 11)
        filtered_rows = []
        for size in (int(part) for part in args.sizes.split(",")):
            grow_s = grow(storage, size, rng)
            began = time.perf_counter()
            storage.refresh_word_index()
            index_s = time.perf_counter() - began
            vectors_s = add_random_vectors(storage, model, dimension)
            storage._execute("ANALYZE")
            mixed = time_queries(hybrid, queries)
            plain = time_queries(words, queries)
            sql = time_queries(in_sql, queries)
            embedding = time_queries(embed, queries)
            graph = time_queries(nearest, queries)
            print(
                f"| {storage.count_papers():,} | {grow_s:.0f} s | {index_s:.0f} s"
                f" | {vectors_s:.0f} s | {mixed['p50']:.1f} / {mixed['p95']:.1f} ms"
                f" | {plain['p50']:.1f} / {plain['p95']:.1f} ms | {plain['common_p95']:.1f} ms"
                f" | {sql['p50']:.0f} / {sql['p95']:.0f} ms | {sql['common_p95']:.0f} ms"
                f" | {embedding['p50']:.1f} / {embedding['p95']:.1f} ms"
                f" | {graph['p50']:.1f} / {graph['p95']:.1f} ms |",
                flush=True,
            )
            by_words, by_hybrid = best_of_three(words), best_of_three(hybrid)
            filtered_rows += [
                f"| {size:,} | `{text}` | {by_words[text]:.1f} ms | {by_hybrid[text]:.1f} ms |"
                for text in FILTERED_QUERIES
            ]
        print("\n| papers | filtered query | word index | hybrid |\n| --- | --- | --- | --- |")
        print("\n".join(filtered_rows))
        storage.close()


if __name__ == "__main__":
    main()
