"""A public collection's Atom and RSS feeds, on both backends: found from its page, read by
feedparser, and gone (404) the moment the collection is private."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.papers import Paper
from dailypapers.storage import Storage

from support.accounts import add_member, make_site, member_client, post_form
from support.sites import NOW

PAPERS = [
    Paper(
        id="2401.00001",
        title="Attention for everyone",
        abstract="Attention over long sequences.",
        authors=("Ada Lovelace",),
        categories=("cs.CL",),
        published_at=datetime(2026, 8, 20, tzinfo=UTC),
    ),
    Paper(
        id="2401.00002",
        title="Sparse mixtures",
        abstract="Mixtures of experts, sparsely.",
        authors=("Grace Hopper",),
        categories=("cs.LG",),
        published_at=datetime(2026, 8, 21, tzinfo=UTC),
    ),
]


@pytest.fixture
def ada(backend_storage: Storage) -> TestClient:
    """Return ada's client of a site (its page cache on) holding two papers; grace is a member."""
    with backend_storage.transaction():
        backend_storage.save_papers(PAPERS)
    add_member(backend_storage, "ada")
    add_member(backend_storage, "grace")
    ticks = itertools.count()
    site = make_site(  # a clock that moves, so papers are added one after the other
        backend_storage, cache_seconds=60, clock=lambda: NOW + timedelta(seconds=next(ticks))
    )
    return member_client(site, "ada")


def make_collection(client: TestClient, name: str, *, public: bool) -> int:
    """Make a collection of both papers (the first added first); return its number."""
    made = post_form(client, "/collections", {"name": name, "public": "1" if public else ""})
    found = re.fullmatch(r"/collections/(\d+)", made.headers["location"])
    assert found, made.headers
    number = int(found.group(1))
    post_form(
        client, "/papers/2401.00001/save", {"collection_id": str(number), "note": "read first"}
    )
    post_form(client, "/papers/2401.00002/save", {"collection_id": str(number)})
    return number


def parsed(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    feed = feedparser.parse(response.content)
    assert not feed.bozo, (path, feed.bozo_exception)
    return feed


def test_a_public_collection_has_feeds_that_readers_discover(ada: TestClient) -> None:
    number = make_collection(ada, "Long context", public=True)
    reader = TestClient(ada.app)
    page = reader.get(f"/collections/{number}").text
    for fmt, media, shown in (
        ("atom", "application/atom+xml", "Atom"),
        ("rss", "application/rss+xml", "RSS"),
    ):
        assert (
            f'<link rel="alternate" type="{media}" title="Long context ({shown})"'
            f' href="/feeds/collections/{number}.{fmt}">'
        ) in page
        feed = parsed(reader, f"/feeds/collections/{number}.{fmt}")
        assert feed.feed.title.endswith("Long context")
        assert feed.feed.link == f"http://testserver/collections/{number}"
        assert [e.title for e in feed.entries] == ["Sparse mixtures", "Attention for everyone"]
        assert feed.entries[1].link == "http://testserver/papers/2401.00001"
        assert feed.entries[1].summary.startswith("read first.")  # the owner's note


def test_a_private_or_missing_collection_has_no_feed(ada: TestClient) -> None:
    hidden = make_collection(ada, "Secret reading", public=False)
    grace = member_client(ada.app, "grace")  # type: ignore[arg-type]
    # Not to a visitor, not to another member, and not even to the owner's own session:
    # a feed address is for readers, who sign in nowhere.
    for client in (TestClient(ada.app), grace, ada):
        for fmt in ("atom", "rss"):
            assert client.get(f"/feeds/collections/{hidden}.{fmt}").status_code == 404
    private_page = ada.get(f"/collections/{hidden}")  # its owner sees it, with no feed link
    assert private_page.status_code == 200
    assert "/feeds/collections/" not in private_page.text
    shared = make_collection(ada, "Open reading", public=True)
    for path in (
        f"/feeds/collections/{shared + 1000}.atom",  # no such collection
        f"/feeds/collections/{shared}.json",  # no such format
        "/feeds/collections/open.atom",
    ):
        assert TestClient(ada.app).get(path).status_code == 404, path
    # More than a row number holds: refused as the site refuses such numbers, not a crash.
    assert TestClient(ada.app).get(f"/feeds/collections/{2**63}.atom").status_code == 422


def test_unsharing_a_collection_ends_its_feed_at_once(ada: TestClient) -> None:
    number = make_collection(ada, "For a while", public=True)
    reader = TestClient(ada.app)
    assert parsed(reader, f"/feeds/collections/{number}.atom").entries  # kept by the cache now
    post_form(ada, f"/collections/{number}/edit", {"name": "For a while", "public": ""})
    assert reader.get(f"/feeds/collections/{number}.atom").status_code == 404
    assert reader.get(f"/collections/{number}").status_code == 404
