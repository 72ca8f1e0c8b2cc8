"""List featured papers by period, organization or submitter, ranked and paged."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period
from dailypapers.domain.ranking import Rankable, SortMode, rank
from dailypapers.storage.base import Storage

# Ranking every entry ever featured (a listing over all time, not newest first) holds all of
# them in memory at once: 32 such requests side by side grew a server past 900 MB at 80,000
# papers. They take turns in pairs; the CPU they need is the same, shared by fewer at once.
WHOLE_LISTINGS_AT_ONCE = threading.BoundedSemaphore(2)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a ranked listing."""

    papers: list[FeaturedPaper]
    total: int | None  # None when the caller did not ask for the count
    page: int  # counted from 0, as in Hugging Face's `p`
    page_size: int
    sort: SortMode

    @property
    def page_count(self) -> int:
        """Return how many pages the listing has (at least one; this one, if not counted)."""
        if self.total is None:
            return self.page + 1
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
    counted: bool = True,
) -> FeedPage:
    """Rank the papers featured in the period (or ever) that match, and cut one page.

    Without `counted`, a newest-first listing skips counting every match (the JSON API
    has no field for the count).
    """
    start, end = (period.start, period.end) if period else (None, None)
    if sort is SortMode.NEWEST:
        # Newest first needs only the papers up to this page and a count: reading
        # every featured paper to keep fifty was most of the API's default request.
        rankables = storage.rankables(
            start=start,
            end=end,
            submitter=submitter,
            organization=organization,
            newest=(page + 1) * page_size,
        )
        total = (
            storage.count_featured(
                start=start, end=end, submitter=submitter, organization=organization
            )
            if counted
            else None
        )
        chosen = _ranked_page(rankables, sort, page, page_size, now, period)
    elif period is None and submitter is None and organization is None:
        with WHOLE_LISTINGS_AT_ONCE:
            rankables = storage.rankables()
            total = len(rankables)
            chosen = _ranked_page(rankables, sort, page, page_size, now, period)
            del rankables  # freed before the next request takes its turn
    else:
        rankables = storage.rankables(
            start=start, end=end, submitter=submitter, organization=organization
        )
        total = len(rankables)
        chosen = _ranked_page(rankables, sort, page, page_size, now, period)
    papers = storage.featured_papers([item.paper_id for item in chosen])
    return FeedPage(papers, total, page, page_size, sort)


def _ranked_page(
    rankables: list[Rankable],
    sort: SortMode,
    page: int,
    page_size: int,
    now: datetime,
    period: Period | None,
) -> list[Rankable]:
    """Rank the rankables and return one page of them."""
    # A past period is ranked as it stood when it closed, so its order stays put.
    ranked_at = min(now, period.end_of_period) if period else now
    ranked = rank(rankables, sort=sort, now=ranked_at)
    return ranked[page * page_size : (page + 1) * page_size]
