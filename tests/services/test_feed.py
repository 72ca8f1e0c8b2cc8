"""Listing featured papers by period, ranked and paged."""

from datetime import UTC, datetime

from dailypapers.domain.periods import parse_day, parse_month, parse_week
from dailypapers.domain.ranking import SortMode
from dailypapers.services.feed import list_featured

NOW = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)


def listing(storage, **options):
    options.setdefault("sort", SortMode.TRENDING)
    options.setdefault("page", 0)
    options.setdefault("page_size", 100)
    return list_featured(storage=storage, now=NOW, **options)


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
