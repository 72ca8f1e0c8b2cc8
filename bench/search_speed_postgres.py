"""Search speed on PostgreSQL: hybrid, the word index, BM25 in SQL, filtered queries, by size.

    .venv/bin/python bench/search_speed_postgres.py [--sizes 100000] [--queries 200]
        [--vectors real|random] [--server-options "-c shared_buffers=1GB"]

A throwaway PostgreSQL server (the test suite's) is filled with the shared data's real
papers through the import service, then with perturbed copies of them up to each size
(as bench/search_speed.py makes them: a tenth of the abstract's words dropped, a word
added to the title). The indexing job's work is done as it does it (`refresh_word_index`:
the SQL ranking's term statistics, then this host's word index, in a temporary folder).
Vectors, written by COPY then indexed in bulk by pgvector's HNSW (as the site creates it):
with `--vectors real` (the default) each of the 9,877 Hugging Face papers has its own vector
from the packaged model (bench/recommend_data.py embeds and caches them once) and every
other paper a real paper's vector, in turn, plus Gaussian noise, renormalised (cosine about
0.84 to it, as bench/search_speed.py makes them: embedding a million papers takes hours
here); with `--vectors random`, random unit vectors, which give the graph no structure (its
worst case). ANN recall@10 and @100 compare the site's vector search (`nearest_papers`)
with an exact scan of the same vectors, for the queries' vectors (a neighbour is right if it
is as close as the exact k-th, within 1e-3); and, for a few filters, the filtered vector
search's recall@10 against an exact scan of the papers meeting the filter, at each over-fetch
of RECALL_OVERFETCH (the graph is asked for that many times the hybrid search's 100
papers), with how many of the 100 come back. Then the queries of bench/search_speed.py
(common words, words of real abstracts, real titles) are timed in process: hybrid as the
site runs it (query embedded by the real model, the word index, HNSW, fusion), the word
index alone, BM25 in SQL alone (what answers while a host builds its index), the query
embedding alone, the HNSW search alone, the exact-title lookup alone, all of the hybrid
search's parts one after another (as it ran them before it overlapped them: timed in turns
with the hybrid search, query by query), and the counts of vectors and papers that a
searcher takes aside every few seconds; then each filter (`cat:`, `has:code`, dates, ...)
added to 40 distinct queries, p50 and p95 through the word index and through the hybrid
search, the hybrid search again with the filters in reverse order on 40 other queries, and
the quoted phrase with an exclusion, best of three.
"""

from __future__ import annotations

import argparse
import random
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dailypapers.domain.search_query import normalize_title, parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import HybridSearcher
from dailypapers.services.importing import import_file
from dailypapers.storage import Storage, open_storage, search_postgresql
from dailypapers.storage.postgresql import PostgresStorage
from dailypapers.storage.search_sql import filter_conditions
from recommend_data import load_papers, load_vectors
from search_speed import COMMON_QUERIES, make_queries, percentile, perturbed

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
        if position % 100_000 < BATCH:  # a million takes a while: say how it goes
            print(f"  {position:,} papers, {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return time.perf_counter() - began


def realistic_vectors(ids: list[str], seed: int) -> np.ndarray:
    """Return one unit vector per id: a Hugging Face paper's own vector for its own id, else
    a real paper's vector (in turn) plus Gaussian noise, renormalised (bench/search_speed.py)."""
    papers = load_papers()
    real = load_vectors(papers)
    own = {paper.paper_id: row for row, paper in enumerate(papers)}
    noise = np.random.default_rng(seed)
    rows = np.arange(len(ids)) % len(real)
    vectors = noise.standard_normal((len(ids), real.shape[1]), dtype=np.float32)
    vectors *= 0.035  # in place, in 4-byte floats: a million papers' noise is 1.5 GB
    vectors += real[rows]
    for position, paper_id in enumerate(ids):
        if (row := own.get(paper_id)) is not None:
            vectors[position] = real[row]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def random_vectors(count: int, dimension: int, seed: int) -> np.ndarray:
    """Return random unit vectors: no structure for the graph to use, its worst case."""
    vectors = np.random.default_rng(seed).standard_normal((count, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def copy_vectors(storage: PostgresStorage, model: str, ids: list[str], vectors: np.ndarray) -> None:
    """Write the vectors by binary COPY (pgvector's wire form: dimension, flags, float4s)."""
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
    model_field = struct.pack("!i", len(model.encode())) + model.encode()
    dimension = vectors.shape[1]
    vector_head = struct.pack("!ihh", 4 + 4 * dimension, dimension, 0)
    big_endian = vectors.astype(">f4")
    with (
        storage._connection().cursor() as cursor,
        cursor.copy(
            "COPY paper_embeddings (model, paper_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.write(header)
        for paper_id, vector in zip(ids, big_endian, strict=True):
            key = paper_id.encode()
            copy.write(
                struct.pack("!h", 3)
                + model_field
                + struct.pack("!i", len(key))
                + key
                + vector_head
                + vector.tobytes()
            )
        copy.write(struct.pack("!h", -1))


def add_vectors(
    storage: PostgresStorage, model: str, dimension: int, kind: str
) -> tuple[float, list[str], np.ndarray]:
    """Give every paper a vector, then build the HNSW index; return seconds, ids, vectors."""
    began = time.perf_counter()
    ids = [row[0] for row in storage._execute("SELECT id FROM papers ORDER BY id")]
    if kind == "real":
        vectors = realistic_vectors(ids, seed=len(ids))
    else:
        vectors = random_vectors(len(ids), dimension, seed=len(ids))
    storage.delete_embeddings(model=model)  # drops the index: built in bulk below
    copy_vectors(storage, model, ids, vectors)
    storage._ensure_vector_index(model, dimension)
    return time.perf_counter() - began, ids, vectors


def ann_recall(
    storage: PostgresStorage,
    model: str,
    query_vectors: np.ndarray,
    ids: list[str],
    vectors: np.ndarray,
    k: int,
) -> float:
    """Return the HNSW's mean recall@k against an exact scan of the same vectors.

    As ann-benchmarks counts it, and bench/search_speed.py on SQLite: a neighbour is right
    if it is at least as close as the exact k-th, within 1e-3.
    """
    row_of = {paper_id: row for row, paper_id in enumerate(ids)}
    recalls = []
    for vector in query_vectors:
        scores = vectors @ vector
        kth = float(np.partition(-scores, k - 1)[k - 1]) * -1
        found = storage.nearest_papers(model=model, vector=vector, limit=k)
        right = sum(1 for item in found if scores[row_of[item.paper_id]] >= kth - 1e-3)
        recalls.append(min(right, k) / k)
    return float(np.mean(recalls))


def filtered_recall(
    storage: PostgresStorage,
    model: str,
    query_vectors: np.ndarray,
    ids: list[str],
    vectors: np.ndarray,
    kind: str,
) -> dict[int, tuple[float, float]]:
    """Return, for each over-fetch, a filtered vector search's mean recall@10 against an
    exact scan of the papers that meet the filter (the rule of ann_recall), and how many of
    the 100 papers the hybrid search asks for it returns on average."""
    filters = parse_query(f"x {kind}").filters
    conditions, params = filter_conditions(filters)
    meeting = storage._execute(
        f"SELECT p.id FROM papers p WHERE {' AND '.join(conditions)}", params
    )
    row_of = {paper_id: row for row, paper_id in enumerate(ids)}
    rows = [row_of[row[0]] for row in meeting if row[0] in row_of]
    k = min(10, len(rows))
    if k == 0:
        return {}
    scores = vectors[rows] @ query_vectors.T  # papers meeting it x probes
    kths = -np.partition(-scores, k - 1, axis=0)[k - 1]
    figures = {}
    site_overfetch = search_postgresql.FILTERED_OVERFETCH
    for overfetch in RECALL_OVERFETCH:
        search_postgresql.FILTERED_OVERFETCH = overfetch
        recalls, returned = [], []
        for vector, kth in zip(query_vectors, kths, strict=True):
            found = storage.nearest_papers(model=model, vector=vector, limit=100, filters=filters)
            close = [float(vectors[row_of[item.paper_id]] @ vector) for item in found[:k]]
            recalls.append(sum(1 for score in close if score >= kth - 1e-3) / k)
            returned.append(len(found))
        figures[overfetch] = (float(np.mean(recalls)), float(np.mean(returned)))
    search_postgresql.FILTERED_OVERFETCH = site_overfetch
    return figures


def time_queries(
    search: Callable[[str], object], queries: list[str], *, warm: int = 10
) -> dict[str, float]:
    """Return p50/p95 ms of a search, and p95 of the common-word queries."""
    for query in queries[:warm]:
        search(query)
    times = []
    for query in queries:
        began = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - began) * 1000)
    return summary(times, queries)


def time_in_turns(
    first: Callable[[str], object], second: Callable[[str], object], queries: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Time two searches query by query, taking turns at going first, so that neither
    meets warmer caches or quieter moments than the other; return their figures."""
    for query in queries[:10]:
        first(query)
        second(query)
    times: tuple[list[float], list[float]] = ([], [])
    for number, query in enumerate(queries):
        for side in (0, 1) if number % 2 == 0 else (1, 0):
            began = time.perf_counter()
            (first, second)[side](query)
            times[side].append((time.perf_counter() - began) * 1000)
    return summary(times[0], queries), summary(times[1], queries)


def summary(times: list[float], queries: list[str]) -> dict[str, float]:
    """Return p50/p95 of timings, and p95 of those of the common-word queries."""
    common = [t for t, q in zip(times, queries, strict=True) if q in COMMON_QUERIES]
    return {
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "common_p95": percentile(common, 0.95) if common else float("nan"),
    }


# The filters of bench/search_speed.py's FILTERED_QUERIES, each added to distinct queries.
FILTERS = [
    "cat:cs.CL",
    "cat:cs.CV",
    "cat:q-bio.NC",
    "after:2025-06",
    "has:code",
    "-survey",
    "author:Sergey",
    "org:meta",
]
FILTERED_PER_KIND = 40
# Filtered vector searches whose recall is checked at each over-fetch: the graph is asked
# for the over-fetch times 100 papers (and walks at least 300) before the filter.
RECALL_FILTERS = ["cat:cs.CL", "cat:cs.CV", "cat:q-bio.NC", "has:code", "after:2025-06"]
RECALL_OVERFETCH = (3, 4)


def spread(figures: dict[str, float]) -> str:
    """Return p50 / p95 as the tables print them."""
    return f"{figures['p50']:.1f} / {figures['p95']:.1f} ms"


def milliseconds(search: Callable[[str], object], text: str, runs: int = 3) -> list[float]:
    """Return the milliseconds of a few runs of one search."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        search(text)
        times.append((time.perf_counter() - began) * 1000)
    return times


def time_filtered(
    search: Callable[[str], object], queries: list[str], kinds: list[str] = FILTERS
) -> dict[str, dict[str, float]]:
    """Return p50 and p95 in ms of each filter, in turn, added to distinct queries (no two
    alike)."""
    figures = {}
    for kind in kinds:
        search(f"warm up {kind}")  # not among the timed ones, so none is a repeat
        texts = [f"{query} {kind}" for query in queries]
        figures[kind] = time_queries(search, texts, warm=0)
    return figures


def main() -> None:
    """Build each size in turn on one server and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--vectors",
        choices=["real", "random"],
        default="real",
        help="real papers' vectors with noise (the default), or random ones (HNSW's worst case)",
    )
    parser.add_argument(
        "--server-options",
        default="",
        help="extra `-c name=value` settings of the throwaway server (shared_buffers, ...)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.postgres_server import fresh_database, running_postgres

    embedder = default_embedder()
    model = embedder.model_name
    dimension = len(embedder.embed_query("a query"))
    searcher = HybridSearcher(load_embedder=lambda: embedder, model_name=model, timeout_s=1.0)
    with (
        running_postgres(options=args.server_options) as server,
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

        recounts: list[float] = []  # the searcher's own counts, aside or not
        count_papers = storage.count_papers

        def counted_papers() -> int:
            recounts.append(time.perf_counter())
            return count_papers()

        storage.count_papers = counted_papers  # type: ignore[method-assign]

        def count(_: str) -> object:
            return storage.count_embeddings(), count_papers()  # as the searcher counts

        def titled(text: str) -> object:
            return storage.find_titled(normalize_title(text))

        def one_after_another(text: str) -> object:
            # The hybrid search's parts in turn, as it ran them before it overlapped them.
            query = parse_query(text)
            storage.search_lexical_scored(query, limit=100)
            vector = embedder.embed_query(query.text)
            storage.nearest_papers(model=model, vector=vector, limit=100, filters=query.filters)
            return storage.find_titled(normalize_title(text))

        print(
            "| papers | grow | statistics + word index | vectors + HNSW | hybrid p50 / p95"
            " | word index p50 / p95 | word index p95, common words | BM25 in SQL p50 / p95"
            " | BM25 in SQL p95, common words | query embedding p50 / p95 | HNSW p50 / p95"
            " | title lookup p50 / p95 | parts one after another p50 / p95"
            " | counts, median of 5 | ANN recall@10 / @100 |"
        )
        print("|" + " --- |" * 15)
        filtered_rows, recall_rows = [], []
        for size in (int(part) for part in args.sizes.split(",")):
            grow_s = grow(storage, size, rng)
            began = time.perf_counter()
            storage.refresh_word_index()
            index_s = time.perf_counter() - began
            vectors_s, ids, stored = add_vectors(storage, model, dimension, args.vectors)
            storage._execute("ANALYZE")
            probes = np.stack([vectors[query] for query in queries])
            recall = [ann_recall(storage, model, probes, ids, stored, k) for k in (10, 100)]
            for kind in RECALL_FILTERS:
                figures = filtered_recall(storage, model, probes, ids, stored, kind)
                recall_rows += [
                    f"| {len(ids):,} | `{kind}` | {overfetch} | {found:.3f} | {returned:.0f} |"
                    for overfetch, (found, returned) in figures.items()
                ]
            del stored
            counted_before = len(recounts)
            mixed, parts = time_in_turns(hybrid, one_after_another, queries)
            plain = time_queries(words, queries)
            sql = time_queries(in_sql, queries)
            embedding = time_queries(embed, queries)
            graph = time_queries(nearest, queries)
            title = time_queries(titled, queries)
            counting = statistics.median(milliseconds(count, "", runs=5))
            print(
                f"| {count_papers():,} | {grow_s:.0f} s | {index_s:.0f} s"
                f" | {vectors_s:.0f} s | {mixed['p50']:.1f} / {mixed['p95']:.1f} ms"
                f" | {plain['p50']:.1f} / {plain['p95']:.1f} ms | {plain['common_p95']:.1f} ms"
                f" | {sql['p50']:.0f} / {sql['p95']:.0f} ms | {sql['common_p95']:.0f} ms"
                f" | {embedding['p50']:.1f} / {embedding['p95']:.1f} ms"
                f" | {graph['p50']:.1f} / {graph['p95']:.1f} ms"
                f" | {title['p50']:.1f} / {title['p95']:.1f} ms"
                f" | {parts['p50']:.1f} / {parts['p95']:.1f} ms | {counting:.0f} ms"
                f" | {recall[0]:.3f} / {recall[1]:.3f} |",
                flush=True,
            )
            short = [query for query in queries if len(query.split()) <= 5]
            distinct = short[:FILTERED_PER_KIND]
            by_words, by_hybrid = time_filtered(words, distinct), time_filtered(hybrid, distinct)
            # Again in the reverse order, on other queries: the first filter timed meets
            # whatever the searches before it left in PostgreSQL's shared buffers.
            others = short[FILTERED_PER_KIND : 2 * FILTERED_PER_KIND]
            again = time_filtered(hybrid, others, FILTERS[::-1])
            recounted = len(recounts) - counted_before
            phrase = '"large language models" -survey'
            filtered_rows += [
                f"| {size:,} | `{kind}` | {spread(by_words[kind])} | {spread(by_hybrid[kind])}"
                f" | {spread(again[kind])} |"
                for kind in FILTERS
            ] + [
                f"| {size:,} | `{phrase}` (best of 3) | {min(milliseconds(words, phrase)):.1f} ms"
                f" | {min(milliseconds(hybrid, phrase)):.1f} ms | |"
            ]
            print(
                f"(the searcher counted vectors and papers {recounted} times while the"
                " hybrid searches and their filters were timed; nothing was written)"
            )
        print(
            f"\n| papers | filter, added to {FILTERED_PER_KIND} distinct queries"
            " | word index p50 / p95 | hybrid p50 / p95 | hybrid p50 / p95, again (filters in"
            f" reverse order, {FILTERED_PER_KIND} other queries) |\n| --- | --- | --- | --- | --- |"
        )
        print("\n".join(filtered_rows))
        print(
            f"\n| papers | filter | over-fetch (the site's: {search_postgresql.FILTERED_OVERFETCH})"
            " | recall@10 against an exact scan of the papers meeting it"
            " | papers returned of the 100 asked |\n| --- | --- | --- | --- | --- |"
        )
        print("\n".join(recall_rows))
        storage.close()


if __name__ == "__main__":
    main()
