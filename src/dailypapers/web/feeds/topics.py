"""Atom and RSS feeds per category, author, organization, saved search, public collection,
week and month top, and each member's private feed at a secret address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from dailypapers.domain.authors import normalize_author_name
from dailypapers.domain.periods import PeriodKind, period_containing
from dailypapers.domain.ranking import SortMode
from dailypapers.domain.search_query import QueryError, every_word, parse_query
from dailypapers.services.collections import collection_papers, visible_collection
from dailypapers.services.feed import list_featured
from dailypapers.services.follows import feed_token_user
from dailypapers.services.member_feed import FEED_SIZE, FeedItem, member_feed
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import Storage
from dailypapers.web.dependencies import NowDep, SettingsDep, StorageDep
from dailypapers.web.feeds.documents import (
    FeedDocument,
    feed_format,
    feed_response,
    split_format,
)
from dailypapers.web.pages.organizations import to_organization_in_its_case
from dailypapers.web.row_ids import RowId

router = APIRouter(prefix="/feeds", include_in_schema=False)


def feed_secret(request: Request) -> bytes:
    """Return the key that signs private feed addresses (the site's secret key)."""
    secret: bytes | None = getattr(request.app.state, "feed_secret", None)
    if secret is None:
        settings: Settings = request.app.state.settings
        secret = request.app.state.feed_secret = load_secret_key(settings)
    return secret


def _items(storage: Storage, ids: list[str]) -> list[FeedItem]:
    return [FeedItem(item) for item in storage.featured_papers(ids)]


def _answer(
    document: FeedDocument, fmt: str, request: Request, settings: Settings, now: datetime
) -> Response:
    return feed_response(document, fmt=fmt, request=request, settings=settings, now=now)


@router.get("/categories/{name}")
def category_feed(
    name: str, request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return the newest papers of an arXiv category."""
    category, fmt = split_format(name)
    ids = storage.category_paper_ids(category, limit=FEED_SIZE)
    document = FeedDocument(
        title=f"{settings.site_name}: {category}",
        description=f"The newest papers in {category}.",
        page_path=f"/categories/{quote(category, safe='')}",
        feed_path=f"/feeds/categories/{quote(category, safe='')}",
        items=_items(storage, ids),
    )
    return _answer(document, fmt, request, settings, now)


@router.get("/authors/{name:path}")
def author_feed(
    name: str, request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return an author's newest papers (the name's accents and case do not matter)."""
    asked, fmt = split_format(name)
    normalized = normalize_author_name(asked)
    ids = storage.author_paper_ids(normalized, limit=FEED_SIZE)
    if not ids:
        raise HTTPException(404, f"no paper on this site has an author named {asked!r}")
    spellings = storage.author_spellings(normalized)  # titled as their papers write the name
    author = spellings[0][0] if spellings else asked
    document = FeedDocument(
        title=f"{settings.site_name}: papers by {author}",
        description=f"The newest papers by {author}.",
        page_path=f"/authors/{quote(author, safe='')}",
        feed_path=f"/feeds/authors/{quote(author, safe='')}",
        items=_items(storage, ids),
    )
    return _answer(document, fmt, request, settings, now)


@router.get("/organizations/{name}")
def organization_feed(
    name: str, request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return the papers most recently featured for an organization."""
    org_name, fmt = split_format(name)
    organization = storage.get_organization(org_name)
    if organization is None:  # or in another case: its own address
        return to_organization_in_its_case(
            storage, org_name, request, f"/feeds/organizations/{{}}.{fmt}"
        )
    newest = storage.rankables(organization=organization.name, newest=FEED_SIZE)
    document = FeedDocument(
        title=f"{settings.site_name}: {organization.fullname}",
        description=f"Papers featured for {organization.fullname}, newest first.",
        page_path=f"/organizations/{quote(organization.name, safe='')}",
        feed_path=f"/feeds/organizations/{quote(organization.name, safe='')}",
        items=_items(storage, [r.paper_id for r in newest]),
    )
    return _answer(document, fmt, request, settings, now)


@router.get("/{name}")
def search_or_top_feed(
    name: str,
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    now: NowDep,
    q: Annotated[str, Query(max_length=4000)] = "",
) -> Response:
    """Return a saved search's papers (search.atom?q=...), or the week's or month's top."""
    stem, fmt = split_format(name)
    if stem == "search":
        return _search_feed(q, fmt, request, storage, settings, now)
    kinds = {"weekly": PeriodKind.WEEK, "monthly": PeriodKind.MONTH}
    if stem not in kinds:
        raise HTTPException(404, f"there is no feed named {name!r}")
    latest = storage.latest_day()
    items: list[FeedItem] = []
    page_path = "/"
    if latest is not None:
        period = period_containing(kinds[stem], latest)
        page_path = period.path
        top = list_featured(
            storage=storage, sort=SortMode.TRENDING, page=0, page_size=FEED_SIZE, now=now,
            period=period,
        )  # fmt: skip
        items = [FeedItem(item) for item in top.papers]
    word = "week" if stem == "weekly" else "month"
    document = FeedDocument(
        title=f"{settings.site_name}: top papers of the {word}",
        description=f"The latest {word}'s papers, ranked by the community's upvotes.",
        page_path=page_path,
        feed_path=f"/feeds/{stem}",
        items=items,
    )
    return _answer(document, fmt, request, settings, now)


def _search_feed(
    q: str, fmt: str, request: Request, storage: Storage, settings: Settings, now: datetime
) -> Response:
    try:
        query = parse_query(q)
    except QueryError as error:
        raise HTTPException(400, str(error)) from None
    if query.is_empty and not query.filters:
        raise HTTPException(400, "q: give a search, such as q=diffusion+cat:cs.CV")
    # A reader polls a feed for what is new: the newest papers having every word, as a
    # followed search and an alert list them, not the best matches.
    ids = storage.search_newest(every_word(query), limit=FEED_SIZE)
    document = FeedDocument(
        title=f"{settings.site_name}: {q}",
        description=f"The newest papers matching the search {q!r}.",
        page_path=f"/search?{urlencode({'q': q})}",
        feed_path="/feeds/search",
        items=_items(storage, ids),
    )
    response = _answer(document, fmt, request, settings, now)
    return response


@router.get("/private/{name}")
def private_feed(
    name: str, request: Request, storage: StorageDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Return a member's own feed at their secret address (rotated from their settings)."""
    token, fmt = split_format(name)
    user = feed_token_user(storage=storage, secret=feed_secret(request), token=token)
    if user is None:
        raise HTTPException(404, "this private feed address is unknown or was replaced")
    document = FeedDocument(
        title=f"{settings.site_name}: {user.username}'s feed",
        description="Your For you papers, then new papers from what you follow.",
        page_path="/following",
        feed_path=f"/feeds/private/{token}",
        items=member_feed(storage=storage, user=user, now=now),
    )
    response = _answer(document, fmt, request, settings, now)
    response.headers["Cache-Control"] = "private, no-store"  # never kept by the page cache
    return response


@router.get("/collections/{collection_id:int}.{fmt}")
def collection_feed(
    collection_id: RowId,
    fmt: str,
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Return a public collection's papers, the most recently added first."""
    fmt = feed_format(fmt)
    # Feed readers come without a session: only a public collection has a feed, and a
    # private one answers as if it did not exist, even to its owner.
    collection = visible_collection(storage=storage, collection_id=collection_id, viewer_id=None)
    pairs = collection_papers(storage=storage, collection=collection)
    document = FeedDocument(
        title=f"{settings.site_name}: {collection.name}",
        description=collection.description or f"The papers of the collection {collection.name}.",
        page_path=f"/collections/{collection.id}",
        feed_path=f"/feeds/collections/{collection.id}",
        items=[FeedItem(item, entry.note or None) for item, entry in pairs],
    )
    return _answer(document, fmt, request, settings, now)
