"""List featured papers by period, organization or submitter, ranked and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period
from dailypapers.domain.ranking import SortMode, rank
from dailypapers.storage.base import Storage


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a ranked listing."""

    papers: list[FeaturedPaper]
    total: int
    page: int  # counted from 0, as in Hugging Face's `p`
    page_size: int
    sort: SortMode

    @property
    def page_count(self) -> int:
        """Return how many pages the listing has (at least one)."""
        return max(1, -(-self.total // self.page_size))


def list_featured(
    *,
    storage: Storage,
    sort: SortMode,
    page: int,
    page_size: int,
    now: datetime,
    period: Period | None = None,
    submitter: str | None = None,
    organization: str | None = None,
) -> FeedPage:
    """Rank the papers featured in the period (or ever) that match, and cut one page."""
    rankables = storage.rankables(
        start=period.start if period else None,
        end=period.end if period else None,
        submitter=submitter,
        organization=organization,
    )
    # A past period is ranked as it stood when it closed, so its order stays put.
    ranked_at = min(now, period.end_of_period) if period else now
    ranked = rank(rankables, sort=sort, now=ranked_at)
    chosen = ranked[page * page_size : (page + 1) * page_size]
    papers = storage.featured_papers([item.paper_id for item in chosen])
    return FeedPage(papers, len(ranked), page, page_size, sort)
