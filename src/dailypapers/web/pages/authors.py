"""Author and category pages: a name's or an arXiv category's papers, with Follow and feeds."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from dailypapers.domain.follows import FollowKind, follow_target
from dailypapers.domain.ranking import SortMode
from dailypapers.services.authors import AuthorPage, author_page
from dailypapers.services.feed import FeedPage, RankingCache
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.storage.follows_sql import RECENT_PAPERS
from dailypapers.web.dependencies import (
    NowDep,
    RankingsDep,
    RendererDep,
    SettingsDep,
    StorageDep,
)
from dailypapers.web.read_lane import in_read_lane
from dailypapers.web.rendering import Renderer

router = APIRouter(include_in_schema=False)

SortQuery = Annotated[SortMode, Query(description="newest, trending or upvotes")]
PageQuery = Annotated[int, Query(ge=0, le=100_000, description="page, counted from 0")]


@router.get("/authors/{name:path}", response_class=HTMLResponse)
async def author(
    name: str,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    rankings: RankingsDep,
    now: NowDep,
    sort: SortQuery = SortMode.NEWEST,
    p: PageQuery = 0,
) -> Response:
    """Show an author's papers, co-authors, organizations and verified member."""
    page = functools.partial(_author, name, storage, settings, renderer, rankings, now, sort, p)
    # Newest first reads one page of the name's index; another order ranks up to 2,000 papers
    # (tens of ms for a common name), which would hold up the lane.
    if sort is SortMode.NEWEST:
        return await in_read_lane(storage, page)
    return await run_in_threadpool(page)


def _author(
    name: str,
    storage: Storage,
    settings: Settings,
    renderer: Renderer,
    rankings: RankingCache,
    now: datetime,
    sort: SortMode,
    p: int,
) -> Response:
    def read() -> tuple[AuthorPage, Markup]:
        found = author_page(
            storage=storage, name=name, sort=sort, page=p, page_size=settings.page_size, now=now
        )
        # Links to each co-author and organization, hundreds for a common name: drawn with
        # the data, they were a tenth of the page.
        relations = renderer.fragment(
            "_author_relations.html", author=found, recent_papers=RECENT_PAPERS
        )
        return found, relations

    # Newest first shows the data alone, read by nine queries: kept until it changes. The
    # other orders age with the clock.
    newest = sort is SortMode.NEWEST
    key = ("author", name, p, settings.page_size)
    found, relations = rankings.page(storage, key, read) if newest else read()
    path = f"/authors/{quote(name, safe='')}"
    feed = FeedPage(found.papers, found.total, p, settings.page_size, sort)
    return renderer.page(
        "author.html",
        author=found,
        relations=relations,
        feed=feed,
        path=path,
        sorts=list(SortMode),
        follow=follow_target(FollowKind.AUTHOR, found.name),
        feed_path=f"/feeds/authors/{quote(found.name, safe='')}",
        recent_papers=RECENT_PAPERS,
    )


@router.get("/categories/{category}", response_class=HTMLResponse)
def category(
    category: str,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    p: PageQuery = 0,
) -> Response:
    """Show an arXiv category's papers, newest first."""
    try:
        follow = follow_target(FollowKind.CATEGORY, category)
    except ValueError as error:
        raise HTTPException(404, str(error)) from None
    total = storage.count_category_papers(category)
    if total == 0:
        raise HTTPException(404, f"no paper on this site is in {category}")
    ids = storage.category_paper_ids(
        category, limit=settings.page_size, offset=p * settings.page_size
    )
    feed = FeedPage(storage.featured_papers(ids), total, p, settings.page_size, SortMode.NEWEST)
    return renderer.page(
        "category.html",
        category=category,
        feed=feed,
        path=f"/categories/{quote(category, safe='')}",
        follow=follow,
        feed_path=f"/feeds/categories/{quote(category, safe='')}",
    )
