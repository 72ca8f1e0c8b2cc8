"""Pulling arXiv listings: where a pull stops, and what it records."""

from datetime import UTC, date, datetime

import httpx
import pytest

from dailypapers.services.arxiv import pull_arxiv_listing, pull_categories
from dailypapers.sources.http import PoliteFetcher

from support.arxiv_server import recorded_api_body
from support.http_server import Reply, serving


@pytest.fixture
def pages(shared_data):
    bodies = {
        "0": recorded_api_body(shared_data, "q_testing_s0_m10"),
        "10": recorded_api_body(shared_data, "q_testing_s10_m10"),
    }
    empty = recorded_api_body(shared_data, "id_0000.0000")
    return lambda request: Reply(200, bodies.get(request.query["start"], empty))


def pull(storage, url, **options):
    with httpx.Client() as client:
        return pull_arxiv_listing(
            storage=storage,
            fetcher=PoliteFetcher(client),
            api_url=url,
            categories=["cs.LG"],
            page_size=10,
            on_invalid=lambda problem: None,
            **options,
        )


def test_without_a_day_a_pull_stops_at_papers_already_stored(storage, pages):
    with serving(pages) as (url, log):
        first = pull(storage, url, since=date(2000, 1, 1), stop_at_known=True)
        log.clear()
        second = pull(storage, url, since=date(2000, 1, 1), stop_at_known=True)
    assert first.added == 20
    assert (second.added, second.updated, second.unchanged) == (0, 0, 10)
    assert len(log) == 1


def test_a_pull_with_a_day_goes_on_past_known_papers(storage, pages):
    with serving(pages) as (url, log):
        pull(storage, url, since=date(2000, 1, 1), stop_at_known=False)
        log.clear()
        again = pull(storage, url, since=date(2000, 1, 1), stop_at_known=False)
    assert again.unchanged == 20
    assert len(log) == 3


def test_pulls_remember_when_they_ran(storage, pages):
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    with serving(pages) as (url, _), httpx.Client() as client:
        pull_categories(
            storage=storage,
            fetcher=PoliteFetcher(client),
            api_url=url,
            categories=["cs.CL", "cs.LG"],
            since=None,
            page_size=10,
            now=lambda: now,
            on_invalid=lambda problem: None,
        )
    state = storage.get_harvest_state("arxiv-api cs.CL cs.LG")
    assert state.updated_at == now and state.pages == 1
