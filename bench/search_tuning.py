"""Choose the word index's field boosts and the fusion by cross-validation on two sets.

Each query of each development set has been ranked once per choice of field boosts (by
the word index) and once by the vectors. A fold holds out a fifth of each set; the choice
is made on the rest (each set counting equally: its mean metric), then measured on the
held-out fifth. The means over the five held-out fifths are the honest figures; the
choice made on all queries is the one the site ships.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dailypapers.domain.fusion import Fusion, QueryKind, fuse_rankings

FOLDS = 5
SEED = 7
FUNCTION_WORD_THRESHOLDS = (1, 2, 3)
VECTOR_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
RRF_KS = (1, 2, 5, 10, 30, 60)

Boosts = tuple[tuple[str, float], ...]  # (field, boost) pairs, hashable
Metric = Callable[[list[str], dict[str, int]], float]


@dataclass
class Judged:
    """One query: its answers, its rankings, and what decides its kind."""

    relevant: dict[str, int]
    lexical: dict[Boosts, list[str]]  # the word index's ranking per choice of boosts
    vector: list[str]  # at or above the meaning floor
    phrases: int
    function_words: int
    hybrid: dict[tuple[Boosts, float, int], float] = field(default_factory=dict)

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


def fused(lexical: Sequence[str], vector: Sequence[str], fusion: Fusion) -> list[str]:
    """Fuse two rankings the way the searcher does."""
    weights = [fusion.lexical_weight, fusion.vector_weight]
    return [item for item, _ in fuse_rankings([lexical, vector], weights=weights, k=fusion.k)]


def _hybrid(query: Judged, metric: Metric, boosts: Boosts, weight: float, k: int) -> float:
    key = (boosts, weight, k)
    if key not in query.hybrid:
        ranking = fused(query.lexical[boosts], query.vector, Fusion(1.0, weight, k))
        query.hybrid[key] = metric(ranking, query.relevant)
    return query.hybrid[key]


def choose(sets: Sequence[DevSet], train: Sequence[Sequence[int]]) -> Choice:
    """Pick boosts, then the threshold and a fusion per kind, on the training queries."""
    all_boosts = list(sets[0].queries[0].lexical)

    def lexical_score(boosts: Boosts) -> float:
        return sum(
            sum(dev.metric(dev.queries[i].lexical[boosts], dev.queries[i].relevant) for i in idx)
            / len(idx)
            for dev, idx in zip(sets, train, strict=True)
        )

    boosts = max(all_boosts, key=lexical_score)
    best: tuple[float, Choice] | None = None
    for threshold in FUNCTION_WORD_THRESHOLDS:
        total = 0.0
        fusion: dict[QueryKind, Fusion] = {}
        for kind in (QueryKind.KEYWORDS, QueryKind.CLAIM):
            score, weight, k = max(
                (
                    sum(
                        _hybrid(dev.queries[i], dev.metric, boosts, weight, k) / len(idx)
                        for dev, idx in zip(sets, train, strict=True)
                        for i in idx
                        if dev.queries[i].kind(threshold) is kind
                    ),
                    weight,
                    k,
                )
                for weight in VECTOR_WEIGHTS
                for k in RRF_KS
            )
            total += score
            fusion[kind] = Fusion(1.0, weight, k)
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
        lexical += dev.metric(query.lexical[choice.boosts], query.relevant)
        hybrid += _hybrid(query, dev.metric, choice.boosts, fusion.vector_weight, fusion.k)
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
        f"{kind.value}: meaning {fusion.vector_weight:g}, k {fusion.k}"
        for kind, fusion in choice.fusion.items()
    )
    return f"boosts [{boosts}]; claim from {choice.threshold} function words; {fusions}"
