"""Atom and RSS feeds of the latest day's papers, in trending order."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import PeriodKind, period_containing
from dailypapers.domain.ranking import SortMode
from dailypapers.domain.text import excerpt
from dailypapers.services.feed import list_featured
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.web.dependencies import NowDep, SettingsDep, StorageDep

router = APIRouter(prefix="/feeds", include_in_schema=False)
FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"
register_namespace("dc", DUBLIN_CORE)


def _latest_papers(storage: Storage, now: datetime) -> list[FeaturedPaper]:
    latest = storage.latest_day()
    if latest is None:
        return []
    period = period_containing(PeriodKind.DAY, latest)
    feed = list_featured(
        storage=storage,
        sort=SortMode.TRENDING,
        page=0,
        page_size=FEED_SIZE,
        now=now,
        period=period,
    )
    return feed.papers


def _base_url(request: Request, settings: Settings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _featured_at(item: FeaturedPaper, fallback: datetime) -> datetime:
    return item.entry.featured_at if item.entry else item.paper.published_at or fallback


def _text(parent: Element, tag: str, text: str, **attributes: str) -> Element:
    element = SubElement(parent, tag, attributes)
    element.text = text
    return element


@router.get("/daily.atom")
def daily_atom(
    request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return the latest day's papers as an Atom feed."""
    base = _base_url(request, settings)
    papers = _latest_papers(storage, now)
    feed = Element("feed", xmlns=ATOM)
    _text(feed, "title", f"{settings.site_name}: trending papers")
    _text(feed, "id", f"{base}/feeds/daily.atom")
    SubElement(feed, "link", rel="self", href=f"{base}/feeds/daily.atom")
    SubElement(feed, "link", rel="alternate", href=f"{base}/")
    updated = max((_featured_at(item, now) for item in papers), default=now)
    _text(feed, "updated", updated.isoformat())
    for item in papers:
        paper = item.paper
        entry = SubElement(feed, "entry")
        _text(entry, "title", paper.title)
        _text(entry, "id", f"{base}/papers/{paper.id}")
        SubElement(entry, "link", rel="alternate", href=f"{base}/papers/{paper.id}")
        SubElement(entry, "link", rel="related", href=paper.abs_url, title="arXiv")
        _text(entry, "updated", _featured_at(item, now).isoformat())
        if paper.published_at:
            _text(entry, "published", paper.published_at.isoformat())
        for name in paper.authors:
            _text(SubElement(entry, "author"), "name", name)
        _text(entry, "summary", paper.abstract)
        for category in paper.categories:
            SubElement(entry, "category", term=category)
    return _xml(feed, "application/atom+xml")


@router.get("/daily.rss")
def daily_rss(
    request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return the latest day's papers as an RSS 2.0 feed."""
    base = _base_url(request, settings)
    papers = _latest_papers(storage, now)
    rss = Element("rss", version="2.0")
    channel = SubElement(rss, "channel")
    _text(channel, "title", f"{settings.site_name}: trending papers")
    _text(channel, "link", f"{base}/")
    _text(channel, "description", "The latest day's papers, ranked by the community's upvotes.")
    updated = max((_featured_at(item, now) for item in papers), default=now)
    _text(channel, "lastBuildDate", format_datetime(updated))
    for item in papers:
        paper = item.paper
        element = SubElement(channel, "item")
        _text(element, "title", paper.title)
        _text(element, "link", f"{base}/papers/{paper.id}")
        _text(element, "guid", f"{base}/papers/{paper.id}", isPermaLink="true")
        _text(element, "description", excerpt(paper.abstract, 1000))
        _text(element, "pubDate", format_datetime(_featured_at(item, now)))
        if paper.authors:  # RSS's own <author> wants an email address
            _text(element, f"{{{DUBLIN_CORE}}}creator", ", ".join(paper.authors))
        for category in paper.categories:
            _text(element, "category", category)
    return _xml(rss, "application/rss+xml")


def _xml(root: Element, media_type: str) -> Response:
    body = tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=f"{media_type}; charset=utf-8")
