"""List featured papers by period, organization or submitter, ranked and paged."""

from __future__ import annotations

import functools
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from weakref import WeakValueDictionary

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period
from dailypapers.domain.ranking import SortMode, top_ranked
from dailypapers.storage.base import Storage

# A ranking of every paper ever featured costs about 45 ms at 80k papers, a month of 7,500
# papers about 60 ms, and even a month of 331 was nearly half of its page's time; while
# their clock moves slowly: trending ages in hours. A ranking's first pages are kept until
# any data changes or this many seconds pass, whichever comes first.
KEPT_RANKING_S = 60.0
# Kept rankings are weighed in ids (about 70 bytes each), not counted: deep pages of many
# listings would otherwise keep whole listings. 300,000 ids: about 20 MB.
KEPT_IDS = 300_000
ENTRY_WEIGHT = 16  # an entry's key and record, in ids
# Papers of listed pages, kept until any data changes: a signed-in day's page read its
# seventeen anew (paper, entry, organization) on each request, 1.2 ms of CPU on the loop
# against 0.89 with them kept. About 3 KB each.
KEPT_PAPERS = 4_096
KEPT_PAGES = 64  # pages whose data is read by many queries (an author's), the last used

T = TypeVar("T")


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
    rankings: RankingCache | None = None,
) -> FeedPage:
    """Rank the papers featured in the period (or ever) that match, and cut one page.

    Without `counted`, a newest-first listing skips counting every match (the JSON API
    has no field for the count). With `rankings`, the ranking and the count are read from
    there while they are current.
    """
    start, end = (period.start, period.end) if period else (None, None)
    shown = (page + 1) * page_size
    # A past period is ranked as it stood when it closed, so its order stays put.
    ranked_at = min(now, period.end_of_period) if period else now
    ids, total = first_ids(
        storage,
        sort=sort,
        count=shown,
        now=now,
        ranked_at=ranked_at,
        start=start,
        end=end,
        submitter=submitter,
        organization=organization,
        rankings=rankings,
    )
    if total is None and counted:
        count = functools.partial(
            storage.count_featured,
            start=start,
            end=end,
            submitter=submitter,
            organization=organization,
        )
        key = ("count", start, end, submitter, organization)
        total = rankings.page(storage, key, count) if rankings else count()
    papers = featured_papers(storage, ids[page * page_size : shown], rankings)
    return FeedPage(papers, total, page, page_size, sort)


def featured_papers(
    storage: Storage, paper_ids: list[str], rankings: RankingCache | None = None
) -> list[FeaturedPaper]:
    """Return these papers with entry and organization, from `rankings` where kept there."""
    if rankings is None:
        return storage.featured_papers(paper_ids)
    return rankings.featured_papers(storage, paper_ids)


def first_ids(
    storage: Storage,
    *,
    sort: SortMode,
    count: int,
    now: datetime,
    ranked_at: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
    submitter: str | None = None,
    organization: str | None = None,
    rankings: RankingCache | None = None,
) -> tuple[list[str], int | None]:
    """Return the ids of the first `count` papers of a ranking (all if fewer), and how many
    match when the ranking read them all.

    The ranking is made as it stood at `ranked_at` (default: now). With `rankings`, it is
    read from there while it is current.
    """
    ranked_at = now if ranked_at is None else ranked_at
    rank = functools.partial(
        _first_ranked,
        storage,
        sort=sort,
        now=ranked_at,
        count=count,
        start=start,
        end=end,
        submitter=submitter,
        organization=organization,
    )
    if rankings is None:
        return rank()
    # Ranked now, or at a fixed moment (a closed period's end): two rankings, two keys.
    fixed = None if ranked_at == now else ranked_at
    key = (sort, start, end, submitter, organization, fixed)
    return rankings.first(storage, key, now=now, count=count, rank=rank)


def _first_ranked(
    storage: Storage,
    *,
    sort: SortMode,
    now: datetime,
    count: int,
    start: date | None,
    end: date | None,
    submitter: str | None,
    organization: str | None,
) -> tuple[list[str], int | None]:
    """Return the ids of the first `count` in the ranking, and how many match if it read all.

    Newest first reads only the papers up to the count (reading every featured paper to
    keep fifty was most of the API's default request). The other orders keep only the
    count at a time: 32 listings over all time holding their 80,000 entries at once grew a
    server past 900 MB.
    """
    matching = functools.partial(
        storage.each_rankable,
        start=start,
        end=end,
        submitter=submitter,
        organization=organization,
    )
    if sort is SortMode.NEWEST:
        chosen = top_ranked(matching(newest=count), sort=sort, now=now, count=count)
        return [item.paper_id for item in chosen], len(chosen) if len(chosen) < count else None
    if start is None and end is None:
        # Over all time, a paper nobody voted on or commented on scores 0 (counts are never
        # negative), below every paper with some, and such papers follow newest first: of
        # them only the newest `count` can be shown. Reading all of them, 70,000 of the
        # 80,000 papers, was most of the 360 ms a ranking of all time took.
        candidates = itertools.chain(
            matching(attended=True), matching(attended=False, newest=count)
        )
        chosen = top_ranked(candidates, sort=sort, now=now, count=count)
        total = storage.count_featured(
            start=start, end=end, submitter=submitter, organization=organization
        )
        return [item.paper_id for item in chosen], total
    # Counts what the ranking reads: zip stops at the last match before taking a number.
    read = itertools.count()
    chosen = top_ranked(
        (item for item, _ in zip(matching(), read, strict=False)), sort=sort, now=now, count=count
    )
    return [item.paper_id for item in chosen], next(read)


@dataclass(frozen=True, slots=True)
class _Kept:
    generation: int
    ranked_at: datetime
    paper_ids: list[str]  # the ranking's first pages
    total: int | None

    @property
    def weight(self) -> int:
        """Return what keeping this costs, in ids."""
        return len(self.paper_ids) + ENTRY_WEIGHT

    def serves(self, generation: int, now: datetime, count: int) -> bool:
        """Tell whether this ranking is current and long enough to show `count` papers.

        A ranking made a moment after `now` (by a request that came in just after this one)
        is as current as one made a moment before.
        """
        return (
            self.generation == generation
            and abs((now - self.ranked_at).total_seconds()) < KEPT_RANKING_S
            and (len(self.paper_ids) >= count or len(self.paper_ids) == self.total)
        )


class RankingCache:
    """Keep the first pages of rankings while they are current, and the papers
    listings show and the data of some pages until any data changes.

    Current means: no data changed since (a vote, a comment, a new paper: any write changes
    the storage's generation) and less than `KEPT_RANKING_S` passed, as trending ages.
    """

    def __init__(self, max_ids: int = KEPT_IDS) -> None:
        self.max_ids = max_ids
        self._entries: OrderedDict[tuple[object, ...], _Kept] = OrderedDict()
        self._weight = 0  # of the rankings kept
        self._lock = threading.Lock()
        # One ranking of a listing at a time: after a vote, the requests for it wait for
        # one thread's ranking instead of each spending its own. A lock per listing, never
        # shared with another (the read lane, on the event loop, must not wait for an
        # all-time ranking in the pool), forgotten once nobody holds it.
        self._ranking: WeakValueDictionary[tuple[object, ...], threading.Lock] = (
            WeakValueDictionary()
        )
        self._papers: dict[str, FeaturedPaper] = {}
        self._pages: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._kept_of: tuple[str, int] | None = None  # the storage and generation they show

    def _generation(self, storage: Storage) -> tuple[str, int]:
        """Read the storage's generation, forgetting the papers and pages kept before it.

        Read before the data: what is read after it is at least as new, so never kept too
        long."""
        generation = (storage.url, storage.generation())
        with self._lock:
            if self._kept_of != generation:
                self._papers, self._pages, self._kept_of = {}, OrderedDict(), generation
        return generation

    def featured_papers(self, storage: Storage, paper_ids: list[str]) -> list[FeaturedPaper]:
        """Return what `storage.featured_papers` does, reading only papers not kept since
        the data last changed."""
        generation = self._generation(storage)
        with self._lock:
            found = {pid: self._papers[pid] for pid in paper_ids if pid in self._papers}
        missing = [paper_id for paper_id in paper_ids if paper_id not in found]
        if missing:
            read = {item.paper.id: item for item in storage.featured_papers(missing)}
            found.update(read)
            with self._lock:
                if self._kept_of == generation:
                    if len(self._papers) + len(read) > KEPT_PAPERS:
                        self._papers = {}  # simpler than an order of use, and rare
                    self._papers.update(read)
        return [found[paper_id] for paper_id in paper_ids if paper_id in found]

    def page(self, storage: Storage, key: tuple[object, ...], make: Callable[[], T]) -> T:
        """Return what `make` returns for this page, kept until any data changes.

        For pages that read the data only (no reader, no clock) by many queries."""
        generation = self._generation(storage)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                kept: T = self._pages[key]
                return kept
        made = make()
        with self._lock:
            if self._kept_of == generation:
                self._pages[key] = made
                if len(self._pages) > KEPT_PAGES:
                    self._pages.popitem(last=False)
        return made

    def first(
        self,
        storage: Storage,
        key: tuple[object, ...],
        *,
        now: datetime,
        count: int,
        rank: Callable[[], tuple[list[str], int | None]],
    ) -> tuple[list[str], int | None]:
        """Return at least the first `count` ids of the ranking (all if fewer) and the total."""
        key = (storage.url, *key)
        generation = storage.generation()  # read first: a write during the ranking shows next
        kept = self._current(key, generation, now, count)
        if kept is not None:
            return kept.paper_ids, kept.total
        with self._lock:
            ranking = self._ranking.setdefault(key, threading.Lock())
        with ranking:
            kept = self._current(key, generation, now, count)  # ranked while this waited
            if kept is not None:
                return kept.paper_ids, kept.total
            paper_ids, total = rank()
            self._keep(key, _Kept(generation, now, paper_ids, total))
        return paper_ids, total

    def _keep(self, key: tuple[object, ...], kept: _Kept) -> None:
        """Keep a ranking, forgetting the least recently used while over the budget of ids."""
        if kept.weight > self.max_ids:  # deep pages of a huge listing: not kept
            return
        with self._lock:
            earlier = self._entries.pop(key, None)
            if earlier is not None:
                self._weight -= earlier.weight
            self._entries[key] = kept
            self._weight += kept.weight
            while self._weight > self.max_ids:
                _, oldest = self._entries.popitem(last=False)
                self._weight -= oldest.weight

    def _current(
        self, key: tuple[object, ...], generation: int, now: datetime, count: int
    ) -> _Kept | None:
        with self._lock:
            kept = self._entries.get(key)
            if kept is None or not kept.serves(generation, now, count):
                return None
            self._entries.move_to_end(key)
            return kept
