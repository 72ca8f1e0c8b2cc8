"""Hybrid fusion: one ranking out of the words' and the meaning's, by their scores.

bm25 scores and cosines are on different scales, and a bm25 score's size depends on the
query; each side's scores divided by its best are comparable (the best of each is 1), and
unlike ranks they keep how far ahead a paper is. How much meaning counts, and when a clear
lead of the words settles the first place, depends on what the query looks like (Fusion,
QueryKind). Chosen on data over reciprocal rank fusion (Cormack, Clarke and Büttcher,
SIGIR 2009), which the site used before: docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dailypapers.domain.search_query import STOPWORDS, SearchQuery

_PUNCTUATION = "\"'.,;:!?()[]{}"


def pin_first(pinned: Sequence[str], ranked: Sequence[str]) -> list[str]:
    """Put the pinned ids first, in their order, then the rest without repeats."""
    return list(dict.fromkeys([*pinned, *ranked]))


@dataclass(frozen=True, slots=True)
class Fusion:
    """How the two rankings of a query are mixed into one.

    Each side's scores are divided by its best (the word index's first paper scores 1, and
    so does the paper closest in meaning), and a paper's score is (1 - meaning) times its
    word score plus `meaning` times its meaning score, a side that did not rank it
    counting 0. When the word index's first paper scores `clear_lead` times its second or
    more, the words have clearly found the paper asked for: it stays first.
    """

    meaning: float  # 0 (words alone) to 1 (meaning alone)
    clear_lead: float | None = None  # None: the mix decides the first place too


def fuse_scores(
    lexical: Sequence[tuple[str, float]],
    vector: Sequence[tuple[str, float]],
    fusion: Fusion,
) -> list[str]:
    """Return the ids of both rankings, best first, mixed by their scores (see Fusion)."""
    words, meaning = _over_best(lexical), _over_best(vector)
    share = fusion.meaning
    mixed = {
        item: (1 - share) * words.get(item, 0.0) + share * meaning.get(item, 0.0)
        for item in dict.fromkeys([*words, *meaning])
    }
    fused = sorted(mixed, key=mixed.__getitem__, reverse=True)  # ties: words' order first
    lead = fusion.clear_lead
    if lead is not None and lexical:
        second = lexical[1][1] if len(lexical) > 1 else 0.0
        if lexical[0][1] >= lead * second:
            return pin_first([lexical[0][0]], fused)
    return fused


def _over_best(ranked: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Return each id's score divided by the best one (1 for all when none is above 0)."""
    best = max((score for _, score in ranked), default=0.0)
    return {item: score / best if best > 0 else 1.0 for item, score in ranked}


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
