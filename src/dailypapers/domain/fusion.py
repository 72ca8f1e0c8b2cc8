"""Reciprocal rank fusion: one ranking out of several, by rank alone.

Each list gives every paper it ranks a score of weight / (k + rank), ranks counted from 1,
and a paper's scores add up across lists. Scores of different engines (bm25, cosine) are not
comparable, ranks are; k = 60 is the constant of Cormack, Clarke and Büttcher (SIGIR 2009),
which keeps one list's top hit from outweighing agreement between lists.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def fuse_rankings(
    rankings: Sequence[Sequence[str]],
    *,
    weights: Sequence[float] | None = None,
    k: int = RRF_K,
) -> list[tuple[str, float]]:
    """Return (id, fused score) best first; ties keep the order of first appearance."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("give one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(dict.fromkeys(ranking), start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)


def pin_first(pinned: Sequence[str], ranked: Sequence[str]) -> list[str]:
    """Put the pinned ids first, in their order, then the rest without repeats."""
    return list(dict.fromkeys([*pinned, *ranked]))
