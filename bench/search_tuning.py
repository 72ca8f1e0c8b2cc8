"""Choose the word index's field boosts and the fusion by cross-validation on two sets.

Each query of each development set has been ranked, with scores, once per choice of field
boosts (by the word index) and once by the vectors. The fusion mixes the two sides' scores
(domain/fusion.py: each over its best, a share of meaning, a clear word lead kept first).
A fold holds out a fifth of each set; the choice is made on the rest (each set counting
equally: its mean metric), then measured on the held-out fifth. The means over the five
held-out fifths are the honest figures; the choice made on all queries is the one the site
ships.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dailypapers.domain.fusion import Fusion, QueryKind, fuse_scores

FOLDS = 5
SEED = 7
FUNCTION_WORD_THRESHOLDS = (1, 2, 3)
MEANINGS = tuple(step / 20 for step in range(21))  # 0, 0.05, ... 1
CLEAR_LEADS = (None, 1.1, 1.25, 1.5, 2.0)

Boosts = tuple[tuple[str, float], ...]  # (field, boost) pairs, hashable
Metric = Callable[[list[str], dict[str, int]], float]
Scored = list[tuple[str, float]]  # (paper id, score), best first
# In order of meaning, then lead (none first): of equal candidates the first is chosen.
FUSIONS = [Fusion(meaning, lead) for meaning in MEANINGS for lead in CLEAR_LEADS]


@dataclass
class Judged:
    """One query: its answers, its rankings, and what decides its kind."""

    relevant: dict[str, int]
    lexical: dict[Boosts, Scored]  # the word index's ranking per choice of boosts
    vector: Scored  # cosines at or above the meaning floor
    phrases: int
    function_words: int
    hybrid: dict[tuple[Boosts, Fusion], float] = field(default_factory=dict)

    def kind(self, threshold: int) -> QueryKind:
        """Return the query's kind as the site would judge it with this threshold."""
        if self.phrases:
            return QueryKind.PHRASE
        return QueryKind.CLAIM if self.function_words >= threshold else QueryKind.KEYWORDS


@dataclass(frozen=True)
class Choice:
    """What tuning picks: boosts, the function-word threshold, a fusion per kind."""

    boosts: Boosts
    threshold: int
    fusion: dict[QueryKind, Fusion]


@dataclass(frozen=True)
class DevSet:
    """A development set: its name, its queries and the metric it is judged by."""

    name: str
    queries: list[Judged]
    metric: Metric


def ids(ranked: Scored) -> list[str]:
    """Return the ids of a scored ranking."""
    return [item for item, _ in ranked]


def rank_fused(lexical: Sequence[str], vector: Sequence[str], meaning: float, k: int) -> list[str]:
    """Fuse by reciprocal rank, as the site did before: a baseline to compare with."""
    scores: dict[str, float] = {}
    for weight, ranking in ((1.0, lexical), (meaning, vector)):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores, key=scores.__getitem__, reverse=True)


def _hybrid(query: Judged, metric: Metric, boosts: Boosts, fusion: Fusion) -> float:
    key = (boosts, fusion)
    if key not in query.hybrid:
        ranking = fuse_scores(query.lexical[boosts], query.vector, fusion)
        query.hybrid[key] = metric(ranking, query.relevant)
    return query.hybrid[key]


def choose(sets: Sequence[DevSet], train: Sequence[Sequence[int]]) -> Choice:
    """Pick boosts, then the threshold and a fusion per kind, on the training queries."""
    all_boosts = list(sets[0].queries[0].lexical)

    def lexical_score(boosts: Boosts) -> float:
        return sum(
            sum(
                dev.metric(ids(dev.queries[i].lexical[boosts]), dev.queries[i].relevant)
                for i in idx
            )
            / len(idx)
            for dev, idx in zip(sets, train, strict=True)
        )

    boosts = max(all_boosts, key=lexical_score)
    best: tuple[float, Choice] | None = None
    for threshold in FUNCTION_WORD_THRESHOLDS:
        total = 0.0
        fusion: dict[QueryKind, Fusion] = {}
        for kind in (QueryKind.KEYWORDS, QueryKind.CLAIM):

            def kind_score(
                candidate: Fusion, kind: QueryKind = kind, threshold: int = threshold
            ) -> float:
                return sum(
                    _hybrid(dev.queries[i], dev.metric, boosts, candidate) / len(idx)
                    for dev, idx in zip(sets, train, strict=True)
                    for i in idx
                    if dev.queries[i].kind(threshold) is kind
                )

            chosen = max(FUSIONS, key=kind_score)  # the first of equals: the simplest
            total += kind_score(chosen)
            fusion[kind] = chosen
        fusion[QueryKind.PHRASE] = fusion[QueryKind.KEYWORDS]
        if best is None or total > best[0]:
            best = (total, Choice(boosts, threshold, fusion))
    assert best is not None
    return best[1]


def score(dev: DevSet, idx: Sequence[int], choice: Choice) -> tuple[float, float]:
    """Return the mean lexical and hybrid metric of these queries under a choice."""
    lexical = hybrid = 0.0
    for i in idx:
        query = dev.queries[i]
        fusion = choice.fusion[query.kind(choice.threshold)]
        lexical += dev.metric(ids(query.lexical[choice.boosts]), query.relevant)
        hybrid += _hybrid(query, dev.metric, choice.boosts, fusion)
    return lexical / len(idx), hybrid / len(idx)


def cross_validate(sets: Sequence[DevSet]) -> tuple[dict[str, tuple[float, float]], list[Choice]]:
    """Return per set the held-out (lexical, hybrid) means, and each fold's choice."""
    folds = []
    for dev in sets:
        order = list(range(len(dev.queries)))
        random.Random(SEED).shuffle(order)
        folds.append([order[f::FOLDS] for f in range(FOLDS)])
    totals = {dev.name: [0.0, 0.0] for dev in sets}
    choices = []
    for f in range(FOLDS):
        train = [[i for g, part in enumerate(parts) if g != f for i in part] for parts in folds]
        choice = choose(sets, train)
        choices.append(choice)
        for dev, parts in zip(sets, folds, strict=True):
            lexical, hybrid = score(dev, parts[f], choice)
            totals[dev.name][0] += lexical * len(parts[f]) / len(dev.queries)
            totals[dev.name][1] += hybrid * len(parts[f]) / len(dev.queries)
    return {name: (lex, hyb) for name, (lex, hyb) in totals.items()}, choices


def describe(choice: Choice) -> str:
    """Return a choice as one line."""
    boosts = ", ".join(f"{name} {boost:g}" for name, boost in choice.boosts)
    fusions = "; ".join(
        f"{kind.value}: meaning {fusion.meaning:g}, clear lead {fusion.clear_lead}"
        for kind, fusion in choice.fusion.items()
    )
    return f"boosts [{boosts}]; claim from {choice.threshold} function words; {fusions}"
