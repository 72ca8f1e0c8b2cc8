"""The trending score and the sort orders of the feed.

Trending is the community's attention decayed by age, as on Hacker News:

    score = (upvotes + COMMENT_WEIGHT * comments) / (age_hours + AGE_OFFSET_HOURS) ** GRAVITY

where age is measured from the moment the paper was featured to the moment of
ranking: now for the current period, and the end of the period for a past one, so
that an old week's order stays as it was when the week closed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

COMMENT_WEIGHT = 0.5
AGE_OFFSET_HOURS = 2.0
GRAVITY = 1.2


class SortMode(StrEnum):
    """The orders a listing can be shown in."""

    TRENDING = "trending"
    UPVOTES = "upvotes"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class Rankable:
    """What ranking needs to know of a featured paper."""

    paper_id: str
    upvotes: int
    num_comments: int
    featured_at: datetime


def trending_score(*, upvotes: int, num_comments: int, age_hours: float) -> float:
    """Return the trending score of a paper with these counts at this age."""
    points = upvotes + COMMENT_WEIGHT * num_comments
    return points / math.pow(max(age_hours, 0.0) + AGE_OFFSET_HOURS, GRAVITY)


def age_in_hours(featured_at: datetime, now: datetime) -> float:
    """Return the hours from featuring to now, never negative."""
    return max((now - featured_at).total_seconds() / 3600, 0.0)


def rank(items: Iterable[Rankable], *, sort: SortMode, now: datetime) -> list[Rankable]:
    """Order featured papers by the sort mode; ties go to the newer, then the lower id."""
    entries: Sequence[Rankable] = sorted(items, key=lambda item: item.paper_id)
    entries = sorted(entries, key=lambda item: item.featured_at, reverse=True)
    if sort is SortMode.NEWEST:
        return list(entries)
    if sort is SortMode.UPVOTES:
        return sorted(entries, key=lambda item: item.upvotes, reverse=True)
    return sorted(
        entries,
        key=lambda item: trending_score(
            upvotes=item.upvotes,
            num_comments=item.num_comments,
            age_hours=age_in_hours(item.featured_at, now),
        ),
        reverse=True,
    )
