"""Atom and RSS feeds that feed readers understand."""

import feedparser
import pytest


@pytest.mark.parametrize("path", ["/feeds/daily.atom", "/feeds/daily.rss"])
def test_feedparser_reads_every_entry(client, path):
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 17  # the latest day, 2026-08-21
    for entry in feed.entries:
        assert entry.title
        assert entry.link.startswith("http://testserver/papers/")
        assert entry.summary
        assert entry.published_parsed or entry.updated_parsed


def test_entries_come_in_trending_order(client):
    atom = feedparser.parse(client.get("/feeds/daily.atom").content)
    api = client.get("/api/daily_papers?date=2026-08-21&sort=trending&limit=100").json()
    assert [entry.link.rsplit("/", 1)[1] for entry in atom.entries] == [
        item["paper"]["id"] for item in api
    ]


def test_content_types(client):
    assert (
        client.get("/feeds/daily.atom").headers["content-type"].startswith("application/atom+xml")
    )
    assert client.get("/feeds/daily.rss").headers["content-type"].startswith("application/rss+xml")


def test_public_url_setting_makes_the_links(loaded_storage):
    from support.sites import make_client

    site = make_client(loaded_storage, public_url="https://papers.example.org/")
    feed = feedparser.parse(site.get("/feeds/daily.rss").content)
    assert feed.entries[0].link.startswith("https://papers.example.org/papers/")


def test_an_empty_site_has_an_empty_valid_feed(storage):
    from support.sites import make_client

    feed = feedparser.parse(make_client(storage).get("/feeds/daily.atom").content)
    assert not feed.bozo
    assert feed.entries == []
