"""The trending score and the sort orders of the feed.

Trending is the community's attention decayed by age, as on Hacker News:

    score = (upvotes + COMMENT_WEIGHT * comments) / (age_hours + AGE_OFFSET_HOURS) ** GRAVITY

where age is measured from the moment the paper was featured to the moment of
ranking: now for the current period, and the end of the period for a past one, so
that an old week's order stays as it was when the week closed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
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
    return sorted(items, key=_order(sort, now))


def top_ranked(
    items: Iterable[Rankable], *, sort: SortMode, now: datetime, count: int
) -> list[Rankable]:
    """Return the first `count` of `rank(items)`, holding no more than that many at once."""
    return heapq.nsmallest(count, items, key=_order(sort, now))


def _order(sort: SortMode, now: datetime) -> Callable[[Rankable], tuple[float, float, str]]:
    """Return the sort key: the sort's measure, largest first, then the newer, the lower id."""

    def measure(item: Rankable) -> float:
        if sort is SortMode.NEWEST:
            return 0.0
        if sort is SortMode.UPVOTES:
            return float(item.upvotes)
        return trending_score(
            upvotes=item.upvotes,
            num_comments=item.num_comments,
            age_hours=age_in_hours(item.featured_at, now),
        )

    def key(item: Rankable) -> tuple[float, float, str]:
        return (-measure(item), -item.featured_at.timestamp(), item.paper_id)

    return key
