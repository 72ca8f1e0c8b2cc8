"""The JSON API, with Hugging Face's paths, parameters and field names."""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from dailypapers.domain.periods import Period, PeriodKind, parse_period
from dailypapers.domain.ranking import SortMode
from dailypapers.services.authors import claimed_names  # follows: verified authors
from dailypapers.services.feed import RankingCache, list_featured
from dailypapers.storage import Storage
from dailypapers.web.api.hf_json import daily_entry_fragment, paper_json
from dailypapers.web.dependencies import NowDep, RankingsDep, StorageDep
from dailypapers.web.papers import find_featured_paper
from dailypapers.web.read_lane import in_read_lane, read_lane

router = APIRouter(prefix="/api", tags=["papers"])

# A paper's arXiv id, with its version or not. Old-style ids hold a slash (hep-th/9901001),
# so the routes take the id with this convertor: it matches ids only, so that
# /api/papers/{id}/upvote is never read as the paper "{id}/upvote".
ARXIV_ID_PATTERN = r"(?:\d{4}\.\d{4,5}|[a-zA-Z][a-zA-Z.\-]*/\d{7})(?:v\d+)?"


class ArxivIdSegment(Convertor[str]):
    """Match the path segments of an arXiv id."""

    regex = ARXIV_ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("arxiv_id", ArxivIdSegment())
PaperId = Annotated[
    str,
    Path(
        description="an arXiv id, e.g. 2510.14545",
        pattern=f"^{ARXIV_ID_PATTERN}$",
        examples=["2510.14545", "2608.19880"],
    ),
]


def json_response(data: Any) -> Response:
    """Serialize with orjson: the shapes are built by hand, there is nothing to validate."""
    return Response(orjson.dumps(data), media_type="application/json")


class DailySort(StrEnum):
    """Hugging Face's sort names for the daily papers."""

    PUBLISHED_AT = "publishedAt"
    TRENDING = "trending"


# Newest first without a period reads (p + 1) * limit entries: up to this many, in the lane.
LANE_NEWEST_ROWS = 1000


@router.get("/daily_papers")
async def daily_papers(
    storage: StorageDep,
    rankings: RankingsDep,
    now: NowDep,
    date: Annotated[str | None, Query(description="a day, YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="an ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="a month, YYYY-MM")] = None,
    sort: Annotated[DailySort, Query(description="publishedAt (newest first) or trending")] = (
        DailySort.PUBLISHED_AT
    ),
    submitter: Annotated[str | None, Query(description="username of the submitter")] = None,
    p: Annotated[int, Query(ge=0, le=100_000, description="page, counted from 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="papers per page")] = 50,
) -> Response:
    """List featured papers of a day, week or month (or the latest ones)."""
    given = [
        (kind, value)
        for kind, value in (
            (PeriodKind.DAY, date),
            (PeriodKind.WEEK, week),
            (PeriodKind.MONTH, month),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise HTTPException(400, "give at most one of date, week and month")
    period: Period | None = None
    if given:
        try:
            period = parse_period(*given[0])
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
    listing = functools.partial(
        _daily_papers_json,
        storage=storage,
        rankings=rankings,
        now=now,
        period=period,
        sort=SortMode.TRENDING if sort is DailySort.TRENDING else SortMode.NEWEST,
        submitter=submitter,
        page=p,
        page_size=limit,
    )
    # Ranking every paper ever featured afresh (45 ms at 80k) would hold up the lane.
    if period is None and (sort is DailySort.TRENDING or (p + 1) * limit > LANE_NEWEST_ROWS):
        return await run_in_threadpool(listing)
    return await in_read_lane(storage, listing)


def _daily_papers_json(
    *,
    storage: Storage,
    rankings: RankingCache,
    now: datetime,
    period: Period | None,
    sort: SortMode,
    submitter: str | None,
    page: int,
    page_size: int,
) -> Response:
    """Rank one page of the listing and write it in Hugging Face's shape."""
    feed = list_featured(
        storage=storage,
        sort=sort,
        page=page,
        page_size=page_size,
        now=now,
        period=period,
        submitter=submitter,
        counted=False,
        rankings=rankings,
    )
    claims = claimed_names(storage, [item.paper.id for item in feed.papers])
    return json_response(
        [daily_entry_fragment(item, claims.get(item.paper.id)) for item in feed.papers]
    )


@router.get("/papers/{paper_id:arxiv_id}")
@read_lane
def paper(paper_id: PaperId, storage: StorageDep) -> Response:
    """Return one paper's metadata; 404 when it is not on this site."""
    item = find_featured_paper(storage, paper_id)
    claims = claimed_names(storage, [item.paper.id]).get(item.paper.id)
    return json_response(paper_json(item, claims))
