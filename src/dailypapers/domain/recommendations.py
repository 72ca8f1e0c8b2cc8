"""A member's fitted recommender: one weight vector and a bias over paper vectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class MemberModel:
    """A linear scorer: score(paper) = weights · vector(paper) + bias + the weights of the
    paper's terms (tf-idf) and of its authors (search/member_model.py)."""

    user_id: int
    model: str  # the embedding model whose vectors the weights apply to
    weights: NDArray[np.float32]
    bias: float
    positives: int
    negatives: int
    fitted_at: datetime
    terms: dict[str, float] = field(default_factory=dict)  # word or word pair: weight
    authors: dict[str, float] = field(default_factory=dict)  # author's name: weight
    # author's name: their liked papers, newest first (a few): to name as "because you liked"
    liked_by: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberVersions:
    """Where a member's For you stands, read in one short row: every like and dislike bumps
    `signals`; `fit` is the signals version and time of the model fitted, if one is."""

    signals: int
    fit: tuple[int, datetime] | None


@dataclass(frozen=True, slots=True)
class MemberSignals:
    """What a member told the site about their taste, newest first."""

    positives: tuple[str, ...]  # upvoted, saved, or named on first visit
    negatives: tuple[str, ...]  # "not interested"

    @property
    def seen(self) -> frozenset[str]:
        """Return the papers never to recommend again: those already acted on."""
        return frozenset(self.positives) | frozenset(self.negatives)

    @property
    def empty(self) -> bool:
        """Tell whether the member has said nothing yet."""
        return not (self.positives or self.negatives)
