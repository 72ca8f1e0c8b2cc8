"""Pages for people: the daily, weekly and monthly listings, papers, organizations."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from dailypapers.domain import ranking
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period, PeriodKind, parse_period, period_containing
from dailypapers.domain.ranking import SortMode
from dailypapers.services.feed import RankingCache, featured_papers, list_featured
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.storage.search_types import SimilarPaper
from dailypapers.web.accounts.sessions import current_viewer
from dailypapers.web.dependencies import (
    MembersDep,
    NowDep,
    RankingsDep,
    RendererDep,
    SettingsDep,
    StorageDep,
)
from dailypapers.web.markdown import paper_markdown
from dailypapers.web.pages.for_you import for_you_page
from dailypapers.web.pages.organizations import (
    organization_page_context,
    to_organization_in_its_case,
)
from dailypapers.web.pages.paper_actions import paper_page_context
from dailypapers.web.pages.search import SearcherDep
from dailypapers.web.papers import find_featured_paper
from dailypapers.web.read_lane import in_read_lane, read_lane
from dailypapers.web.rendering import Renderer

router = APIRouter(include_in_schema=False)

SIMILAR_SHOWN = 6  # similar papers on a paper page

SortQuery = Annotated[SortMode, Query(description="trending, upvotes or newest")]
PageQuery = Annotated[int, Query(ge=0, le=100_000, description="page, counted from 0")]


@router.get("/", response_class=HTMLResponse)
@read_lane
def home(
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    rankings: RankingsDep,
    members: MembersDep,
    now: NowDep,
    sort: SortQuery = SortMode.TRENDING,
    p: PageQuery = 0,
) -> Response:
    """Show a member their For you; show anyone else the latest day that has papers."""
    latest = storage.latest_day()
    if latest is None:
        return renderer.page("empty.html")
    member = current_viewer()
    if member is not None:  # signed-out visitors' home stays one page, which the cache shares
        return for_you_page(
            member=member,
            storage=storage,
            renderer=renderer,
            rankings=rankings,
            members=members,
            now=now,
        )
    period = period_containing(PeriodKind.DAY, latest)
    return _listing(storage, settings, renderer, rankings, now, period, sort, p)


class PeriodSegment(Convertor[PeriodKind]):
    """Match the path segment naming a period kind: date, week or month."""

    regex = "date|week|month"

    def convert(self, value: str) -> PeriodKind:
        return _KIND_OF_SEGMENT[value]

    def to_string(self, value: PeriodKind) -> str:
        return next(segment for segment, kind in _KIND_OF_SEGMENT.items() if kind is value)


_KIND_OF_SEGMENT = {"date": PeriodKind.DAY, "week": PeriodKind.WEEK, "month": PeriodKind.MONTH}
register_url_convertor("period", PeriodSegment())


@router.get("/papers/{kind:period}", response_class=HTMLResponse)
def pick_period(
    kind: PeriodKind, storage: StorageDep, date: str = "", week: str = "", month: str = ""
) -> Response:
    """Go to the period chosen in the picker (a form cannot fill in a path), else the latest."""
    value = {PeriodKind.DAY: date, PeriodKind.WEEK: week, PeriodKind.MONTH: month}[kind]
    if not value:  # a member's "Latest": their home page is For you
        latest = storage.latest_day()
        path = period_containing(kind, latest).path if latest else "/"
        return RedirectResponse(path, status_code=303)
    try:
        period = parse_period(kind, value)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(period.path, status_code=303)


@router.get("/papers/{kind:period}/{key}", response_class=HTMLResponse)
@read_lane
def period_page(
    kind: PeriodKind,
    key: str,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    rankings: RankingsDep,
    now: NowDep,
    sort: SortQuery = SortMode.TRENDING,
    p: PageQuery = 0,
) -> Response:
    """Show one day's, ISO week's or month's papers."""
    try:
        period = parse_period(kind, key)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return _listing(storage, settings, renderer, rankings, now, period, sort, p)


def _listing(
    storage: Storage,
    settings: Settings,
    renderer: Renderer,
    rankings: RankingCache,
    now: datetime,
    period: Period,
    sort: SortMode,
    p: int,
) -> Response:
    feed = list_featured(
        storage=storage,
        sort=sort,
        page=p,
        page_size=settings.page_size,
        now=now,
        period=period,
        rankings=rankings,
    )
    # Step over periods without papers (weekends, gaps in the archive) in both directions.
    before, after = storage.adjacent_days(period.start, period.end - timedelta(days=1))
    previous = period_containing(period.kind, before) if before else None
    following = period_containing(period.kind, after) if after else None
    return renderer.page(
        "listing.html",
        period=period,
        feed=feed,
        previous=previous,
        following=following,
        tabs=[period_containing(kind, period.start) for kind in PeriodKind],
        path=period.path,
        sorts=list(SortMode),
    )


@router.get("/organizations/{name}", response_class=HTMLResponse)
@read_lane
def organization_page(
    name: str,
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    rankings: RankingsDep,
    now: NowDep,
    sort: SortQuery = SortMode.NEWEST,
    p: PageQuery = 0,
) -> Response:
    """Show an organization's papers (a name in another case leads to its own)."""
    organization = storage.get_organization(name)
    if organization is None:
        return to_organization_in_its_case(storage, name, request, "/organizations/{}")
    feed = list_featured(
        storage=storage,
        sort=sort,
        page=p,
        page_size=settings.page_size,
        now=now,
        organization=name,
        rankings=rankings,
    )
    return renderer.page(
        "organization.html",
        organization=organization,
        feed=feed,
        path=f"/organizations/{name}",
        sorts=list(SortMode),
        **organization_page_context(storage, name),  # accounts: members and invitations
    )


@router.get("/about/ranking", response_class=HTMLResponse)
def about_ranking(renderer: RendererDep) -> Response:
    """Explain the trending formula."""
    return renderer.page("ranking.html", ranking=ranking)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
async def paper_page(
    paper_id: str,
    storage: StorageDep,
    renderer: RendererDep,
    searcher: SearcherDep,
    rankings: RankingsDep,
    in_your_lists: Annotated[bool, Query(include_in_schema=False)] = False,
) -> Response:
    """Show one paper (or, for a path ending in .md, its Markdown page).

    `in_your_lists`: a card's Save was undone while lists the member made hold the paper,
    so the Save control says to take it out of each there.

    The page's reads run in the read lane. A walk of the vector index for similar papers
    (unless its answer is kept) runs in the pool: it may wait while the index loads or takes
    in new vectors, which must not hold up the lane (on SQLite, the event loop).
    """
    if paper_id.endswith(".md"):
        featured = await in_read_lane(
            storage, partial(find_featured_paper, storage, paper_id.removesuffix(".md"), rankings)
        )
        markdown = "text/markdown; charset=utf-8"
        return PlainTextResponse(paper_markdown(featured), media_type=markdown)

    def read() -> tuple[FeaturedPaper, list[SimilarPaper] | None]:
        featured = find_featured_paper(storage, paper_id, rankings)
        return featured, searcher.kept_similar(storage, featured.paper.id, limit=SIMILAR_SHOWN)

    featured, nearest = await in_read_lane(storage, read)
    if nearest is None:
        nearest = await run_in_threadpool(
            partial(searcher.walk_similar, storage, featured.paper.id, limit=SIMILAR_SHOWN)
        )

    def page(nearest: list[SimilarPaper]) -> Response:
        similar = featured_papers(storage, [item.paper_id for item in nearest], rankings)
        return renderer.page(
            "paper.html",
            item=featured,
            similar=similar,
            in_your_lists=in_your_lists,
            **paper_page_context(storage, featured),  # accounts: comments, claims
        )

    response = await in_read_lane(storage, partial(page, nearest))
    if not nearest and searcher.loading:  # seconds after a start: not kept without them
        response.headers["Cache-Control"] = "no-store"
    return response
