"""Write Atom and RSS documents of papers with feedgen, for any feed of the site.

A feed route gathers FeedItems and a title, then returns `feed_response(...)`; the
format comes from the path's suffix (.atom or .rss).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from dailypapers.domain.text import excerpt
from dailypapers.services.member_feed import FeedItem
from dailypapers.settings import Settings

FORMATS = {"atom": "application/atom+xml", "rss": "application/rss+xml"}


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """What a feed says about itself: title, description, and its page and own path."""

    title: str
    description: str
    page_path: str  # the site page the feed follows
    feed_path: str  # without the .atom or .rss suffix
    items: list[FeedItem]


def split_format(name: str) -> tuple[str, str]:
    """Split `cs.CL.atom` into ("cs.CL", "atom"); 404 for another suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        raise HTTPException(404, "a feed's address ends in .atom or .rss")
    return stem, feed_format(suffix)


def feed_format(suffix: str) -> str:
    """Return the suffix if it names a feed format; 404 for any other."""
    if suffix not in FORMATS:
        raise HTTPException(404, "a feed's address ends in .atom or .rss")
    return suffix


def base_url(request: Request, settings: Settings) -> str:
    """Return the site's public address, without a final slash."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _when(item: FeedItem, fallback: datetime) -> datetime:
    entry, paper = item.item.entry, item.item.paper
    return entry.featured_at if entry else paper.published_at or fallback


def render_feed(document: FeedDocument, *, fmt: str, base: str, now: datetime) -> bytes:
    """Return the feed document in Atom or RSS 2.0."""
    feed = FeedGenerator()
    if fmt == "rss":
        feed.load_extension("dc", atom=False, rss=True)  # RSS's <author> wants an email
    feed.id(f"{base}{document.feed_path}.atom")
    feed.title(document.title)
    feed.description(document.description)
    # feedgen takes the RSS channel's <link> from the last link given: the page.
    feed.link(href=f"{base}{document.feed_path}.{fmt}", rel="self")
    feed.link(href=f"{base}{document.page_path}", rel="alternate")
    feed.language("en")
    feed.updated(max((_when(item, now) for item in document.items), default=now))
    for item in document.items:
        paper = item.item.paper
        url = f"{base}/papers/{paper.id}"
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(paper.title)
        entry.link(href=url)
        summary = excerpt(paper.abstract, 1000)
        entry.summary(f"{item.note}. {summary}" if item.note else summary)
        entry.updated(_when(item, now))
        if paper.published_at:
            entry.published(paper.published_at)
        if fmt == "rss":
            if paper.authors:
                entry.dc.dc_creator(", ".join(paper.authors))
        else:
            for name in paper.authors:
                entry.author({"name": name})
        for category in paper.categories:
            entry.category(term=category)
    body: bytes = feed.rss_str(pretty=True) if fmt == "rss" else feed.atom_str(pretty=True)
    return body


def feed_response(
    document: FeedDocument, *, fmt: str, request: Request, settings: Settings, now: datetime
) -> Response:
    """Answer with the feed in the format asked for."""
    body = render_feed(document, fmt=fmt, base=base_url(request, settings), now=now)
    return Response(body, media_type=f"{FORMATS[fmt]}; charset=utf-8")
