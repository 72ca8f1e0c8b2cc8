"""List featured papers by period, organization or submitter, ranked and paged."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period
from dailypapers.domain.ranking import SortMode, top_ranked
from dailypapers.storage.base import Storage


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
    shown = (page + 1) * page_size
    newest_first = sort is SortMode.NEWEST
    # Newest first reads only the papers up to this page (reading every featured paper to
    # keep fifty was most of the API's default request). The other orders read every match
    # but keep only a page's worth at a time: 32 listings over all time holding their
    # 80,000 entries at once grew a server past 900 MB.
    matches = storage.each_rankable(
        start=start,
        end=end,
        submitter=submitter,
        organization=organization,
        newest=shown if newest_first else None,
    )
    # Counts what the ranking reads: zip stops at the last match before taking a number.
    read = itertools.count()
    # A past period is ranked as it stood when it closed, so its order stays put.
    ranked_at = min(now, period.end_of_period) if period else now
    chosen = top_ranked(
        (item for item, _ in zip(matches, read, strict=False)),
        sort=sort,
        now=ranked_at,
        count=shown,
    )[page * page_size :]
    total: int | None = None
    if not newest_first:
        total = next(read)  # the ranking read every match
    elif counted:
        total = storage.count_featured(
            start=start, end=end, submitter=submitter, organization=organization
        )
    papers = storage.featured_papers([item.paper_id for item in chosen])
    return FeedPage(papers, total, page, page_size, sort)
