"""Other ways to fuse the words' and the meaning's rankings, cross-validated like the site's.

    .venv/bin/python bench/fusion_alternatives.py --database SCIFACT.db \
        --keywords-database KEYWORDS.db

Reuses the two databases bench/search_quality.py built and embedded (measured over the
papers with vectors, as its --embedded-only does). Each query is ranked once by the word
index (the site's boosts, with scores) and once by the vectors (cosines at or above the
meaning floor); every family of fusion below is then tuned per kind of query (key terms,
claim: two or more function words) on four fifths of both sets and measured on the fifth
left out, as bench/search_tuning.py does:

- rank: reciprocal rank fusion, meaning weight and k, as the site did before; "+ depth"
  also tunes how many of the meaning's papers count (10, 20, 50 or 100);
- scores over their best (the site's), over min and max (min-max), or as z-scores, mixed
  convexly with a share of meaning from 0 to 1 in steps of 0.05;
- "+ lead": the word index's first paper kept first when it scores this many times its
  second (1.1, 1.25, 1.5, 2).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dailypapers.domain.fusion import CLAIM_FUNCTION_WORDS, function_words, pin_first
from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import MEANING_FLOOR
from dailypapers.storage import open_storage
from dailypapers.storage.word_index import FIELD_BOOSTS
from keyword_queries import DATA, keyword_queries
from search_quality import (
    DEFAULT_DATA,
    Rankers,
    _embedded,
    _stored_ids,
    mrr_at,
    ndcg_at,
    scifact_queries,
)
from search_tuning import FOLDS, SEED, Scored, rank_fused

LEADS = (None, 1.1, 1.25, 1.5, 2.0)
SHARES = [step / 20 for step in range(21)]
Candidate = tuple[str, float, int, int]  # family, meaning, k (rank only), depth


def candidates() -> list[Candidate]:
    """Return every fusion tried, before a lead is added."""
    ranks = [
        ("rank", weight, k, depth)
        for weight in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
        for k in (1, 2, 5, 10, 30, 60)
        for depth in (10, 20, 50, 100)
    ]
    scores = [(how, share, 0, 100) for how in ("best", "minmax", "z") for share in SHARES]
    return ranks + scores


def normalised(ranked: Scored, how: str) -> dict[str, float]:
    """Return each paper's score over the best, over min and max, or as a z-score."""
    if not ranked:
        return {}
    values = np.array([score for _, score in ranked])
    if how == "best":
        scaled = values / values.max() if values.max() > 0 else np.ones_like(values)
    elif how == "minmax":
        spread = values.max() - values.min()
        scaled = (values - values.min()) / spread if spread > 0 else np.ones_like(values)
    else:
        spread = values.std()
        scaled = (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    return dict(zip([item for item, _ in ranked], scaled.tolist(), strict=True))


def fuse(lexical: Scored, vector: Scored, candidate: Candidate) -> list[str]:
    """Return the fused ranking of one candidate (without a lead)."""
    how, share, k, depth = candidate
    if how == "rank":
        return rank_fused([p for p, _ in lexical], [p for p, _ in vector[:depth]], share, k)
    words, meaning = normalised(lexical, how), normalised(vector, how)
    missing_words = min(words.values(), default=0.0) if how == "z" else 0.0
    missing_meaning = min(meaning.values(), default=0.0) if how == "z" else 0.0
    mixed = {
        p: (1 - share) * words.get(p, missing_words) + share * meaning.get(p, missing_meaning)
        for p in dict.fromkeys([*words, *meaning])
    }
    return sorted(mixed, key=mixed.__getitem__, reverse=True)


def led(ranking: list[str], lexical: Scored, lead: float | None) -> list[str]:
    """Keep the word index's first paper first when it clears its second by `lead`."""
    if lead is None or not lexical:
        return ranking
    second = lexical[1][1] if len(lexical) > 1 else 0.0
    return pin_first([lexical[0][0]], ranking) if lexical[0][1] >= lead * second else ranking


def rank_set(path: Path, queries: list[tuple[str, dict[str, int]]]) -> list[dict[str, object]]:
    """Rank every query of a set by the word index (scored) and the vectors."""
    storage = open_storage(f"sqlite:///{path}")
    embedder = default_embedder()
    storage.refresh_word_index()
    corpus = _embedded(storage, embedder.model_name)
    rankers = Rankers(storage, embedder.model_name, corpus)
    rows = []
    for text, relevant in queries:
        if not set(relevant) <= corpus:
            continue
        query = parse_query(text)
        nearest = rankers.vectors(embedder.embed_query(query.text))
        rows.append(
            {
                "relevant": relevant,
                "claim": function_words(query.text) >= CLAIM_FUNCTION_WORDS,
                "words": rankers.words(text, tuple(FIELD_BOOSTS.items())),
                "vector": [(p, c) for p, c in nearest if c >= MEANING_FLOOR],
            }
        )
    print(f"{path.name}: {len(rows)} queries over {len(corpus):,} papers with vectors")
    storage.close()
    return rows


def main() -> None:
    """Rank both sets, score every fusion on every query, and print the held-out means."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--keywords-database", type=Path, required=True)
    args = parser.parse_args()
    sets: list[tuple[str, list[dict[str, object]], Callable[..., float]]] = [
        (
            "scifact",
            rank_set(args.database, scifact_queries(DEFAULT_DATA, _stored_ids(DEFAULT_DATA))),
            ndcg_at,
        ),
        ("keywords", rank_set(args.keywords_database, keyword_queries(DATA)), mrr_at),
    ]
    tried = [(c, lead) for c in candidates() for lead in LEADS]
    scores, claims = {}, {}
    for name, rows, metric in sets:
        table = []
        for row in rows:
            lexical, vector = row["words"], row["vector"]
            line = []
            for candidate in candidates():
                ranking = fuse(lexical, vector, candidate)  # type: ignore[arg-type]
                line += [metric(led(ranking, lexical, lead), row["relevant"]) for lead in LEADS]  # type: ignore[arg-type]
            table.append(line)
        scores[name] = np.array(table).T  # candidate x query
        claims[name] = np.array([bool(row["claim"]) for row in rows])
        words = np.mean([metric([p for p, _ in r["words"]], r["relevant"]) for r in rows])  # type: ignore[attr-defined]
        print(f"{name}: word index {words:.4f}")
    folds = {}
    for name, rows, _ in sets:
        order = list(range(len(rows)))
        random.Random(SEED).shuffle(order)
        folds[name] = [np.array(sorted(order[f::FOLDS])) for f in range(FOLDS)]
    families: dict[str, Callable[[Candidate, float | None], bool]] = {
        "rank (the former)": lambda c, lead: c[0] == "rank" and c[3] == 100 and lead is None,
        "rank + depth": lambda c, lead: c[0] == "rank" and lead is None,
        "rank + lead": lambda c, lead: c[0] == "rank" and c[3] == 100,
        "over their best": lambda c, lead: c[0] == "best" and lead is None,
        "over their best + lead (the site's)": lambda c, lead: c[0] == "best",
        "min-max": lambda c, lead: c[0] == "minmax" and lead is None,
        "min-max + lead": lambda c, lead: c[0] == "minmax",
        "z-score": lambda c, lead: c[0] == "z" and lead is None,
        "z-score + lead": lambda c, lead: c[0] == "z",
    }
    print("\n| fusion (tuned per kind of query) | SciFact nDCG@10 | keywords MRR@10 |")
    print("| --- | --- | --- |")
    for family, allowed in families.items():
        indices = [i for i, (c, lead) in enumerate(tried) if allowed(c, lead)]
        held = {name: np.zeros(scores[name].shape[1]) for name in scores}
        for f in range(FOLDS):
            train = {
                n: np.concatenate([folds[n][g] for g in range(FOLDS) if g != f]) for n in scores
            }
            for claim in (False, True):
                total = sum(
                    scores[n][:, idx][:, claims[n][idx] == claim].sum(1) / len(idx)
                    for n, idx in train.items()
                )
                best = max(indices, key=lambda i: (total[i], -i))
                for n in scores:
                    test = folds[n][f]
                    chosen = test[claims[n][test] == claim]
                    held[n][chosen] = scores[n][best, chosen]
        print(f"| {family} | {held['scifact'].mean():.4f} | {held['keywords'].mean():.4f} |")


if __name__ == "__main__":
    main()
