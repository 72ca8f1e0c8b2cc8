"""Reciprocal rank fusion: one ranking out of several, by rank alone.

Each list gives every paper it ranks a score of weight / (k + rank), ranks counted from 1,
and a paper's scores add up across lists. Scores of different engines (bm25, cosine) are not
comparable, ranks are; k = 60 is the constant of Cormack, Clarke and Büttcher (SIGIR 2009),
which keeps one list's top hit from outweighing agreement between lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dailypapers.domain.search_query import STOPWORDS, SearchQuery

_PUNCTUATION = "\"'.,;:!?()[]{}"

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


@dataclass(frozen=True, slots=True)
class Fusion:
    """How two rankings are fused: reciprocal rank fusion with a weight per ranking."""

    lexical_weight: float
    vector_weight: float
    k: int


class QueryKind(StrEnum):
    """What a query looks like, which decides how much each ranking counts."""

    PHRASE = "phrase"  # a quoted phrase: the reader asked for those exact words
    KEYWORDS = "keywords"  # a few key terms, as a reader remembers a paper
    CLAIM = "claim"  # a sentence or a pasted passage, read for its meaning


# A query with this many little words ("the", "of", "is": the stopwords ranking leaves
# out) reads as a sentence; key terms have almost none. Chosen on the development sets.
CLAIM_FUNCTION_WORDS = 2


def query_kind(query: SearchQuery) -> QueryKind:
    """Classify a query by its quoted phrases and how many function words it has."""
    if query.phrases:
        return QueryKind.PHRASE
    little = function_words(query.text)
    return QueryKind.CLAIM if little >= CLAIM_FUNCTION_WORDS else QueryKind.KEYWORDS


def function_words(text: str) -> int:
    """Count the words of a text that are stopwords on their own (not inside "in-context")."""
    return sum(word.strip(_PUNCTUATION).lower() in STOPWORDS for word in text.split())
