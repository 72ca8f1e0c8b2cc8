"""Listing featured papers by period, ranked and paged."""

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dailypapers.domain.papers import DailyEntry
from dailypapers.domain.periods import parse_day, parse_month, parse_week
from dailypapers.domain.ranking import SortMode, rank
from dailypapers.services.feed import (
    ENTRY_WEIGHT,
    KEPT_PAGES,
    RankingCache,
    first_ids,
    list_featured,
)

NOW = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)


def listing(storage, **options):
    """Return a page of a listing: by default the first hundred trending at NOW, nothing kept."""
    options.setdefault("now", NOW)
    options.setdefault("sort", SortMode.TRENDING)
    options.setdefault("page", 0)
    options.setdefault("page_size", 100)
    return list_featured(storage=storage, **options)


def test_a_day_lists_only_that_days_papers(loaded_storage):
    feed = listing(loaded_storage, period=parse_day("2025-10-17"))
    assert feed.total == 35
    assert {item.entry.day.isoformat() for item in feed.papers} == {"2025-10-17"}


def test_within_one_day_trending_follows_the_votes(loaded_storage):
    feed = listing(loaded_storage, period=parse_day("2025-10-17"), sort=SortMode.UPVOTES)
    upvotes = [item.paper.upvotes for item in feed.papers]
    assert upvotes == sorted(upvotes, reverse=True)
    assert feed.papers[0].paper.id == "2510.14545"  # 61 upvotes, the day's most


def test_weeks_and_months_gather_their_days(loaded_storage):
    assert listing(loaded_storage, period=parse_week("2025-W42")).total == 35
    assert listing(loaded_storage, period=parse_month("2024-12")).total == 26
    assert listing(loaded_storage, period=parse_month("2023-01")).total == 0


def test_pages_cut_the_ranking_without_overlap(loaded_storage):
    day = parse_day("2025-10-17")
    pages = [listing(loaded_storage, period=day, page=n, page_size=10) for n in range(4)]
    ids = [item.paper.id for page in pages for item in page.papers]
    assert len(ids) == len(set(ids)) == 35
    assert pages[0].page_count == 4
    assert listing(loaded_storage, period=day, page=9, page_size=10).papers == []


def test_newest_without_a_period_spans_every_day(loaded_storage):
    feed = listing(loaded_storage, sort=SortMode.NEWEST, page_size=5)
    assert feed.total == 100
    days = [item.entry.day for item in feed.papers]
    assert days == sorted(days, reverse=True)
    assert days[0].isoformat() == "2026-08-21"


def test_submitter_and_organization_filters(loaded_storage):
    by_submitter = listing(loaded_storage, submitter="dongguanting")
    assert [item.paper.id for item in by_submitter.papers] == ["2510.14545"]
    by_org = listing(loaded_storage, organization="RUC")
    assert by_org.total >= 1
    assert all(item.organization.name == "RUC" for item in by_org.papers)


def test_over_all_time_papers_without_votes_or_comments_follow_newest_first(loaded_storage):
    oldest_first = sorted(loaded_storage.rankables(), key=lambda item: item.featured_at)
    papers = loaded_storage.get_papers([item.paper_id for item in oldest_first])
    unattended = [
        replace(papers[item.paper_id], upvotes=0, num_comments=0) for item in oldest_first[::3]
    ]
    # The oldest of them, much talked about but with no votes: trending lifts it to the top.
    talked_about = replace(unattended.pop(0), num_comments=10_000)
    with loaded_storage.transaction():
        loaded_storage.save_papers([*unattended, talked_about])
    for sort in (SortMode.TRENDING, SortMode.UPVOTES):
        ranked = rank(loaded_storage.rankables(), sort=sort, now=NOW)
        for size in (7, 30, 100):
            pages = [listing(loaded_storage, sort=sort, page=n, page_size=size) for n in range(3)]
            shown = [item.paper.id for page in pages for item in page.papers]
            assert shown == [item.paper_id for item in ranked[: 3 * size]]
            assert pages[0].total == len(ranked) == 100


class CountingRankings:
    """The storage, counting how often a ranking reads the papers it ranks.

    Over all time those are the papers with votes or comments: the rest only by their dates.
    """

    def __init__(self, storage):
        self.storage = storage
        self.reads = 0

    def each_rankable(self, **options):
        if options.get("attended") is not False:
            self.reads += 1
        return self.storage.each_rankable(**options)

    def __getattr__(self, name):
        return getattr(self.storage, name)


def test_a_ranking_over_all_time_is_kept_until_the_data_changes_or_a_minute_passes(
    loaded_storage,
):
    storage, rankings = CountingRankings(loaded_storage), RankingCache()

    def kept(now=NOW, sort=SortMode.TRENDING, page=0):
        return list_featured(
            storage=storage, sort=sort, page=page, page_size=10, now=now, rankings=rankings
        )

    first = kept()
    assert storage.reads == 1
    fresh = listing(loaded_storage, page_size=10)
    assert [item.paper.id for item in first.papers] == [item.paper.id for item in fresh.papers]
    assert first.total == fresh.total == 100

    assert kept(now=NOW + timedelta(seconds=59)).papers == first.papers
    second_page = kept(page=1)  # the first page's ranking is too short for the second
    assert storage.reads == 2
    assert {item.paper.id for item in second_page.papers}.isdisjoint(
        item.paper.id for item in first.papers
    )
    assert kept(sort=SortMode.UPVOTES).papers != first.papers  # each order is its own
    assert storage.reads == 3

    kept(now=NOW + timedelta(seconds=61))  # trending ages: ranked again after a minute
    assert storage.reads == 4

    last = first.papers[-1].paper
    with loaded_storage.transaction():  # any write: ranked again
        loaded_storage.save_papers([replace(last, upvotes=10_000)])
    after_the_write = kept(now=NOW + timedelta(seconds=62))
    assert storage.reads == 5
    assert after_the_write.papers[0].paper.id == last.id


class CountingReads(CountingRankings):
    """The storage, counting its rankings' reads and its counts of matching papers."""

    def __init__(self, storage):
        super().__init__(storage)
        self.counts = 0

    def count_featured(self, **filters):
        self.counts += 1
        return self.storage.count_featured(**filters)


def test_a_newest_first_listing_and_its_count_are_kept_until_the_data_changes(loaded_storage):
    storage, rankings = CountingReads(loaded_storage), RankingCache()

    def newest(now=NOW):
        return listing(storage, sort=SortMode.NEWEST, page_size=5, now=now, rankings=rankings)

    first = newest()
    assert first == listing(loaded_storage, sort=SortMode.NEWEST, page_size=5)
    assert newest(now=NOW + timedelta(seconds=30)) == first
    assert (storage.reads, storage.counts) == (1, 1)  # the second time, nothing read

    paper = replace(first.papers[0].paper, id="2608.99999", title="A newer paper")
    day = parse_day("2026-08-22")
    with loaded_storage.transaction():  # any write: read again
        loaded_storage.save_papers([paper])
        loaded_storage.save_entries([DailyEntry(paper.id, day.start, NOW)])
    after_the_write = newest()
    assert (storage.reads, storage.counts) == (2, 2)
    assert after_the_write.papers[0].paper.title == "A newer paper"
    assert after_the_write.total == first.total + 1


def test_a_periods_ranking_is_kept_too_and_apart_from_one_made_now(loaded_storage):
    storage, rankings = CountingRankings(loaded_storage), RankingCache()
    day = parse_day("2025-10-17")  # closed long before NOW: ranked as it stood at its end

    def kept(now=NOW):
        return _trending_first_page(storage, rankings, now=now, period=day)

    first = kept()
    assert kept(now=NOW + timedelta(seconds=30)).papers == first.papers
    assert storage.reads == 1
    fresh = listing(loaded_storage, period=day, page_size=10)
    assert first.papers == fresh.papers and first.total == fresh.total

    # The same days ranked now (For you's window) are another ranking.
    at_now, total = first_ids(
        storage,
        sort=SortMode.TRENDING,
        count=10,
        now=NOW,
        start=day.start,
        end=day.end,
        rankings=rankings,
    )
    assert storage.reads == 2
    ranked_now = rank(
        loaded_storage.rankables(start=day.start, end=day.end), sort=SortMode.TRENDING, now=NOW
    )
    assert at_now == [item.paper_id for item in ranked_now[:10]] and total == len(ranked_now)

    last = first.papers[-1].paper
    with loaded_storage.transaction():  # any write: ranked again
        loaded_storage.save_papers([replace(last, upvotes=10_000)])
    assert kept().papers[0].paper.id == last.id
    assert storage.reads == 3


def test_rankings_are_kept_within_a_budget_of_ids_the_least_recently_used_forgotten(
    loaded_storage,
):
    storage = CountingRankings(loaded_storage)
    rankings = RankingCache(max_ids=2 * (10 + ENTRY_WEIGHT))  # two first pages of ten

    def reads_after(sort, page=0, **filters):
        list_featured(
            storage=storage,
            sort=sort,
            page=page,
            page_size=10,
            now=NOW,
            rankings=rankings,
            **filters,
        )
        return storage.reads

    trending, upvotes = SortMode.TRENDING, SortMode.UPVOTES
    assert reads_after(trending) == 1
    assert reads_after(upvotes) == 2
    assert reads_after(trending) == 2  # kept, and now the most recently used
    assert reads_after(trending, page=5) == 3  # sixty ids: over the budget, not kept
    assert reads_after(trending) == 3  # the first page's ranking is still kept
    assert reads_after(trending, organization="RUC") == 4  # a third: upvotes forgotten
    assert reads_after(upvotes) == 5  # ranked again: now trending is forgotten
    assert reads_after(trending, organization="RUC") == 5
    assert reads_after(trending) == 6


def test_requests_for_a_ranking_being_made_wait_for_it_rather_than_rank_again(loaded_storage):
    storage, rankings = CountingRankings(loaded_storage), RankingCache()
    reading, release = threading.Event(), threading.Event()
    each_rankable = storage.each_rankable

    def slow_each_rankable(**options):
        reading.set()
        assert release.wait(10)
        return each_rankable(**options)

    storage.each_rankable = slow_each_rankable
    pages = []

    def listing_in_thread(now):
        pages.append(_trending_first_page(storage, rankings, now=now))

    first = threading.Thread(target=listing_in_thread, args=(NOW + timedelta(seconds=1),))
    first.start()
    assert reading.wait(10)
    second = threading.Thread(target=listing_in_thread, args=(NOW,))  # a moment earlier
    second.start()
    time.sleep(0.2)  # the second is now waiting for the first's ranking, or ranking too
    release.set()
    for thread in (first, second):
        thread.join(10)
    assert storage.reads == 1
    assert len(pages) == 2 and pages[0].papers == pages[1].papers


def test_a_ranking_being_made_holds_up_no_other_listing(loaded_storage):
    """The read lane runs on the event loop: a slow ranking in a pool thread (all time) must
    not make it wait on another listing's ranking, whichever listings are asked for."""
    storage, rankings = CountingRankings(loaded_storage), RankingCache()
    reading, release = threading.Event(), threading.Event()
    each_rankable = storage.each_rankable

    def slow_for_all_time(**options):
        if options.get("submitter") is None:
            reading.set()
            assert release.wait(10)
        return each_rankable(**options)

    storage.each_rankable = slow_for_all_time

    all_time = threading.Thread(target=_trending_first_page, args=(storage, rankings))
    all_time.start()
    assert reading.wait(10)
    # Many listings, so that any sharing of locks between listings would show.
    others = threading.Thread(
        target=lambda: [
            _trending_first_page(storage, rankings, submitter=f"member{n}") for n in range(200)
        ]
    )
    others.start()
    others.join(10)
    held_up = others.is_alive()
    release.set()
    all_time.join(10)
    others.join(10)
    assert not held_up


def _trending_first_page(storage, rankings, **options):
    """Return the first page of ten of a trending listing, through the rankings kept."""
    return listing(storage, page_size=10, rankings=rankings, **options)


class CountingPaperReads:
    """The storage, recording which papers each `featured_papers` read asked for."""

    def __init__(self, storage):
        self.storage = storage
        self.asked: list[list[str]] = []

    def featured_papers(self, paper_ids):
        self.asked.append(list(paper_ids))
        return self.storage.featured_papers(paper_ids)

    def __getattr__(self, name):
        return getattr(self.storage, name)


def test_listed_papers_are_kept_until_the_data_changes(loaded_storage):
    storage, rankings = CountingPaperReads(loaded_storage), RankingCache()

    def shown(sort=SortMode.TRENDING, page_size=10):
        return listing(storage, sort=sort, page_size=page_size, rankings=rankings).papers

    first = shown()
    assert first == listing(loaded_storage, page_size=10).papers
    assert shown() == first and len(storage.asked) == 1  # the same page: nothing read again
    newest = shown(sort=SortMode.NEWEST, page_size=15)  # only its papers not kept are read
    assert storage.asked[1] == [item.paper.id for item in newest if item not in first]

    voted = first[-1].paper
    with loaded_storage.transaction():  # any write: every paper is read again
        loaded_storage.save_papers([replace(voted, upvotes=10_000)])
    after_the_write = shown()
    assert after_the_write[0].paper.id == voted.id
    assert after_the_write[0].paper.upvotes == 10_000
    assert len(storage.asked[2]) == 10


def test_kept_papers_come_in_the_order_asked_without_unknown_ids(loaded_storage):
    rankings = RankingCache()
    ids = [item.paper.id for item in listing(loaded_storage, page_size=4).papers]
    rankings.featured_papers(loaded_storage, ids[:2])  # two kept, two to read
    asked = [ids[3], "2999.00001", ids[0], ids[2], ids[1]]
    found = rankings.featured_papers(loaded_storage, asked)
    assert found == loaded_storage.featured_papers(asked)
    assert [item.paper.id for item in found] == [ids[3], ids[0], ids[2], ids[1]]


def test_a_pages_data_is_kept_until_the_data_changes_the_last_used_pages_only(loaded_storage):
    rankings, made = RankingCache(), []

    def make():
        made.append(len(made) + 1)
        return made[-1]

    assert rankings.page(loaded_storage, ("a",), make) == 1
    assert rankings.page(loaded_storage, ("a",), make) == 1  # kept
    assert rankings.page(loaded_storage, ("b",), make) == 2  # each page its own
    paper = listing(loaded_storage, page_size=1).papers[0].paper
    with loaded_storage.transaction():  # any write: made again
        loaded_storage.save_papers([replace(paper, upvotes=paper.upvotes + 1)])
    assert rankings.page(loaded_storage, ("a",), make) == 3
    for n in range(KEPT_PAGES - 1):  # ("a",) stays among the last used
        rankings.page(loaded_storage, ("other", n), make)
    assert rankings.page(loaded_storage, ("a",), make) == 3
    rankings.page(loaded_storage, ("one more",), make)
    rankings.page(loaded_storage, ("and another",), make)
    assert rankings.page(loaded_storage, ("other", 0), make) == len(made)  # forgotten: made again
