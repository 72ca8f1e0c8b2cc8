"""Search speed at 10k, 100k and 1M papers: latency, build time, size, memory, ANN recall.

    .venv/bin/python bench/search_speed.py [--sizes 10000,100000,1000000] [--queries 200]
        [--cache ~/.cache/dailypapers-bench]

CACHE/real.db is made once by the site's own commands (a minute to import; embedding takes
15 minutes to hours, by the machine: see docs/performance.md, Embeddings):

    DAILYPAPERS_DATABASE_URL=sqlite:///$HOME/.cache/dailypapers-bench/real.db \
        .venv/bin/python -m dailypapers import --embed \
        ../shared/data/hf_daily_papers/*.jsonl.gz ../shared/data/arxiv_daily/*.jsonl.gz

The real corpus is the shared data's 84k papers (Hugging Face daily papers and arXiv cs
listings), imported and embedded once into CACHE/real.db by the normal services. A site of
N papers holds the first N real papers, then perturbed copies of them until it has N: copy c
of real paper r gets the arXiv-style id `{8000+c}.{r:05d}` (no such month exists on arXiv),
its abstract loses a tenth of its words at random and its title gains a word from another
paper, so term statistics stay those of real abstracts; its vector is the real one plus
Gaussian noise (cosine about 0.84 to the original,
as close as a paper's nearest real neighbours tend to be), renormalized. Papers go in through
`save_papers` (so FTS5 indexes them by its triggers) and vectors through `save_embeddings`,
then the word index (tantivy) and the HNSW file are built by `refresh_word_index` and
`refresh_vector_index`, as `dailypapers reindex` does.

Queries mix three kinds: common words (the hard case for bm25, which scores every match),
three to five words taken from a random real abstract, and a real title. Each runs as the
site runs it: parse, exact-title lookup, the word index, query embedding by the real model,
HNSW, fusion. FTS5's bm25, which the word index replaces for ranking, is timed once on
each distinct common-word query for comparison, and a few filtered searches are timed on
their own, the site's lexical search against FTS5 with the filter inside its query.
In-process figures time `HybridSearcher.search`; HTTP figures time
`GET /api/papers/search` against `dailypapers serve` in a subprocess (response cache off),
whose resident memory is read after the queries. ANN recall@10 compares the HNSW's top 10
with an exact scan of all stored vectors for the same query vectors (ann-benchmarks' rule:
a neighbour counts if it is within 1e-3 of the exact 10th's similarity).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import psutil

from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import HybridSearcher
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.sqlite import SqliteStorage

COMMON_QUERIES = [
    "large language models",
    "deep learning",
    "neural network training",
    "image generation",
    "reinforcement learning",
    "language model reasoning",
    "efficient transformer",
    "data",
    "learning",
    "model performance evaluation benchmark",
]
# Filtered searches, timed on their own: the words ranked, then the filters applied.
FILTERED_QUERIES = [
    "learning cat:cs.CL",
    "language models cat:cs.CV",
    "learning cat:q-bio.NC",
    "diffusion after:2025-06",
    "learning has:code",
    '"large language models" -survey',
    "reinforcement learning author:Sergey",
    "transformer org:meta",
]
BATCH = 5000


def load_real(cache: Path) -> tuple[list[Paper], np.ndarray, str]:
    """Return the real papers, their vectors (same order) and the model name."""
    source = open_storage(f"sqlite:///{cache / 'real.db'}")
    counts = source.count_embeddings()
    if not counts:
        sys.exit(f"{cache / 'real.db'} has no vectors: make it as this script's docstring says")
    model = max(counts, key=lambda name: counts[name])
    assert isinstance(source, SqliteStorage)
    rows = source._execute(
        "SELECT k.paper_id, e.vector FROM paper_embeddings e"
        " JOIN paper_keys k ON k.key = e.paper_key WHERE e.model = ? ORDER BY k.key",
        (model,),
    )
    ids = [row[0] for row in rows]
    vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4").reshape(len(ids), -1)
    papers = source.get_papers(ids)
    return [papers[paper_id] for paper_id in ids], vectors.copy(), model


def perturbed(paper: Paper, copy: int, index: int, rng: random.Random, donor: Paper) -> Paper:
    """Return a copy of a real paper with a new id and slightly different words."""
    words = paper.abstract.split()
    kept = [word for word in words if rng.random() > 0.1] or words
    extra = rng.choice(donor.title.split()) if donor.title.split() else ""
    return replace(
        paper,
        id=f"{8000 + copy:04d}.{index:05d}",
        title=f"{paper.title} {extra}".strip(),
        abstract=" ".join(kept),
        upvotes=0,
        num_comments=0,
    )


def build_site(
    path: Path, size: int, papers: list[Paper], vectors: np.ndarray, model: str
) -> dict[str, float]:
    """Create a database of `size` papers with vectors and its HNSW file; return timings."""
    shutil.rmtree(f"{path}.words", ignore_errors=True)
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()
    storage = open_storage(f"sqlite:///{path}")
    rng = random.Random(size)
    noise = np.random.default_rng(size)
    started = time.perf_counter()
    insert_s = vectors_s = 0.0
    for start in range(0, size, BATCH):
        chunk, chunk_vectors = [], []
        for position in range(start, min(start + BATCH, size)):
            copy, index = divmod(position, len(papers))
            original = papers[index]
            if copy == 0:
                chunk.append(original)
                chunk_vectors.append(vectors[index])
            else:
                donor = papers[rng.randrange(len(papers))]
                chunk.append(perturbed(original, copy, index, rng, donor))
                moved = vectors[index] + noise.normal(0, 0.035, vectors.shape[1])
                chunk_vectors.append(moved / np.linalg.norm(moved))
        began = time.perf_counter()
        with storage.transaction():
            storage.save_papers(chunk)
        insert_s += time.perf_counter() - began
        began = time.perf_counter()
        with storage.transaction():
            storage.save_embeddings(
                model=model,
                paper_ids=[paper.id for paper in chunk],
                vectors=np.stack(chunk_vectors).astype(np.float32),
            )
        vectors_s += time.perf_counter() - began
    began = time.perf_counter()
    storage.refresh_word_index()
    words_s = time.perf_counter() - began
    began = time.perf_counter()
    storage.refresh_vector_index(model=model, save=True)
    hnsw_s = time.perf_counter() - began
    storage._execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    storage.close()
    return {
        "insert_s": insert_s,
        "vectors_s": vectors_s,
        "words_s": words_s,
        "hnsw_s": hnsw_s,
        "total_s": time.perf_counter() - started,
    }


def make_queries(papers: list[Paper], count: int, seed: int = 7) -> list[str]:
    """Return a mix of common-word queries, words of real abstracts, and real titles."""
    rng = random.Random(seed)
    queries = []
    for number in range(count):
        kind = number % 4
        if kind == 0:
            queries.append(COMMON_QUERIES[number // 4 % len(COMMON_QUERIES)])
        elif kind == 3:
            queries.append(papers[rng.randrange(len(papers))].title)
        else:
            words = [w for w in papers[rng.randrange(len(papers))].abstract.split() if w.isalpha()]
            start = rng.randrange(max(len(words) - 5, 1))
            queries.append(" ".join(words[start : start + rng.randint(3, 5)]))
    return queries


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_in_process(
    storage: Storage, searcher: HybridSearcher, queries: list[str]
) -> dict[str, float]:
    """Return p50/p95 milliseconds of hybrid search, and of its lexical part alone."""
    for query in queries[:10]:  # warm: caches, the index file, the model's buffers
        searcher.search(storage, parse_query(query), limit=100)
    hybrid, lexical, fallbacks = [], [], 0
    for query in queries:
        parsed = parse_query(query)
        began = time.perf_counter()
        outcome = searcher.search(storage, parsed, limit=100)
        hybrid.append((time.perf_counter() - began) * 1000)
        fallbacks += outcome.note is not None
        began = time.perf_counter()
        storage.search_lexical(parsed, limit=100)
        lexical.append((time.perf_counter() - began) * 1000)
    common = [t for t, q in zip(lexical, queries, strict=True) if q in COMMON_QUERIES]
    assert isinstance(storage, SqliteStorage)
    fts = []
    for query in COMMON_QUERIES:
        began = time.perf_counter()
        storage.search_in_database(parse_query(query), limit=100)
        fts.append((time.perf_counter() - began) * 1000)
    return {
        "p50": statistics.median(hybrid),
        "p95": percentile(hybrid, 0.95),
        "lexical_p50": statistics.median(lexical),
        "lexical_p95": percentile(lexical, 0.95),
        "lexical_common_p95": percentile(common, 0.95) if common else 0.0,
        "fts_common_p50": statistics.median(fts),
        "fts_common_max": max(fts),
        "fallbacks": fallbacks,
    }


def time_filtered(storage: Storage) -> list[str]:
    """Return a Markdown row per filtered query: the site's lexical search against FTS5's."""
    assert isinstance(storage, SqliteStorage)
    rows = []
    for text in FILTERED_QUERIES:
        query = parse_query(text)
        site = []
        for _ in range(3):
            began = time.perf_counter()
            found = storage.search_lexical(query, limit=100)
            site.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        exact = storage.search_in_database(query, limit=100)
        fts = (time.perf_counter() - began) * 1000
        rows.append(
            f"| `{text}` | {min(site):,.1f} ms ({len(found)}) | {fts:,.0f} ms ({len(exact)}) |"
        )
    return rows


def ann_recall(storage: Storage, model: str, query_vectors: np.ndarray, path: Path) -> float:
    """Return the HNSW's mean recall@10 against an exact scan of the stored vectors."""
    assert isinstance(storage, SqliteStorage)
    best: list[list[tuple[float, int]]] = [[] for _ in query_vectors]
    last = 0
    while True:  # stream the stored vectors: a million do not fit twice in memory
        rows = storage._execute(
            "SELECT seq, paper_key, vector FROM paper_embeddings WHERE model = ? AND seq > ?"
            " ORDER BY seq LIMIT 50000",
            (model, last),
        )
        if not rows:
            break
        last = rows[-1][0]
        keys = np.array([row[1] for row in rows])
        block = np.frombuffer(b"".join(row[2] for row in rows), dtype="<f4").reshape(len(rows), -1)
        scores = query_vectors @ block.T
        for index, row in enumerate(scores):
            top = np.argpartition(-row, 10)[:10]
            best[index] = sorted(best[index] + [(float(row[j]), int(keys[j])) for j in top])[-10:]
    recalls = []
    for vector, exact in zip(query_vectors, best, strict=True):
        found = storage.nearest_papers(model=model, vector=vector, limit=10)
        # As ann-benchmarks counts it: a neighbour is right if it is at least as close as the
        # exact 10th, within 1e-3. Perturbed copies sit at near-equal distances, and 16-bit
        # vectors order such near-ties arbitrarily without finding anything farther.
        tenth = exact[0][0]
        stored = [storage.get_embedding(model=model, paper_id=item.paper_id) for item in found]
        right = sum(
            1 for other in stored if other is not None and float(vector @ other) >= tenth - 1e-3
        )
        recalls.append(min(right, 10) / 10)
    return float(np.mean(recalls))


def time_over_http(path: Path, queries: list[str]) -> dict[str, float]:
    """Serve the database with `dailypapers serve`; return p50/p95 ms and its memory."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": f"sqlite:///{path}",
        "DAILYPAPERS_CACHE_SECONDS": "0",
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",
        "DAILYPAPERS_SEARCH_TIMEOUT_MS": "1000",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(600):
                try:
                    client.get("/api/papers/search", params={"q": "warm up"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for _ in range(1200):  # the model and the index files load on first use
                page = client.get("/search", params={"q": "language models"})
                if "matching words only" not in page.text:
                    break
                time.sleep(0.5)
            for query in queries[:20]:
                client.get("/api/papers/search", params={"q": query, "limit": 30})
            times = []
            for query in queries:
                began = time.perf_counter()
                response = client.get("/api/papers/search", params={"q": query, "limit": 30})
                times.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
        rss = psutil.Process(server.pid).memory_info().rss / 2**20
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95), "rss_mb": rss}


def main() -> None:
    """Build each size, measure it, print a Markdown table row per size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/dailypapers-bench")
    parser.add_argument("--keep", action="store_true", help="keep the databases built")
    parser.add_argument("--reuse", action="store_true", help="reuse databases already built")
    args = parser.parse_args()
    papers, vectors, model = load_real(args.cache)
    embedder = default_embedder()
    queries = make_queries(papers, args.queries)
    query_vectors = np.stack([embedder.embed_query(query) for query in queries[:100]])
    print(f"{len(papers)} real papers with vectors of {model}; {len(queries)} queries")
    header = (
        "| papers | build: papers + FTS5 | vectors | word index | HNSW | database | word index"
        " | HNSW file | hybrid p50 / p95 (in-process) | words p95 (common words) |"
        " FTS5 bm25 p50 / max (common words) | HTTP p50 / p95 | server RSS | ANN recall@10 |"
    )
    print(header + "\n|" + " --- |" * (header.count("|") - 1))
    rows = []
    for size in (int(part) for part in args.sizes.split(",")):
        path = args.cache / f"scale-{size}.db"
        build = (
            json.loads((args.cache / f"scale-{size}.json").read_text())
            if args.reuse and path.exists()
            else build_site(path, size, papers, vectors, model)
        )
        (args.cache / f"scale-{size}.json").write_text(json.dumps(build))
        storage = open_storage(f"sqlite:///{path}")
        searcher = HybridSearcher(load_embedder=lambda: embedder, model_name=model, timeout_s=1.0)
        storage.refresh_word_index()  # (a reused database's index may be of an older format)
        storage.refresh_vector_index(model=model, save=False)
        local = time_in_process(storage, searcher, queries)
        filtered = time_filtered(storage)
        recall = ann_recall(storage, model, query_vectors, path)
        storage.close()
        remote = time_over_http(path, queries)
        index_file = next(args.cache.glob(f"scale-{size}.db.*.usearch"))
        words_size = sum(f.stat().st_size for f in Path(f"{path}.words").iterdir())
        row = (
            f"| {size:,} | {build['insert_s']:.0f} s | {build['vectors_s']:.0f} s"
            f" | {build['words_s']:.0f} s | {build['hnsw_s']:.0f} s"
            f" | {path.stat().st_size / 2**20:,.0f} MB | {words_size / 2**20:,.0f} MB"
            f" | {index_file.stat().st_size / 2**20:,.0f} MB"
            f" | {local['p50']:.1f} / {local['p95']:.1f} ms"
            f" | {local['lexical_common_p95']:.1f} ms"
            f" | {local['fts_common_p50']:.0f} / {local['fts_common_max']:.0f} ms"
            f" | {remote['p50']:.1f} / {remote['p95']:.1f} ms | {remote['rss_mb']:,.0f} MB"
            f" | {recall:.3f} |"
        )
        rows.append(row)
        print(row, flush=True)
        print(
            f"  (lexical alone p50/p95 {local['lexical_p50']:.1f}/{local['lexical_p95']:.1f} ms;"
            f" {local['fallbacks']} of {len(queries)} searches fell back to words)",
            flush=True,
        )
        print(
            "\n  | filtered query | word index, best of 3 (results) | FTS5 (results) |"
            "\n  | --- | ---: | ---: |\n" + "\n".join(f"  {row}" for row in filtered) + "\n",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(f"{path}.words", ignore_errors=True)
            for leftover in args.cache.glob(f"scale-{size}.db*"):
                leftover.unlink()


if __name__ == "__main__":
    main()
