"""For you: a member's recommendations, the first-visit picker, and "Not interested"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.accounts import User
from dailypapers.domain.periods import PeriodKind, period_containing
from dailypapers.services import recommendations
from dailypapers.services.feed import RankingCache
from dailypapers.services.member_models import MemberModels
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import MemberDep, local_path, same_site_path, see_other
from dailypapers.web.dependencies import (
    MembersDep,
    NowDep,
    RankingsDep,
    RendererDep,
    StorageDep,
)
from dailypapers.web.rendering import Renderer

router = APIRouter(include_in_schema=False)

DaysQuery = Annotated[int, Query(ge=1, le=92, description="the past so many days of papers")]
SHOWN = 30
# A few broad arXiv categories offered on the first visit; any other can be typed.
SUGGESTED_CATEGORIES = (
    "cs.CL", "cs.CV", "cs.LG", "cs.AI", "cs.RO", "cs.IR", "cs.SD", "stat.ML",
)  # fmt: skip


@router.get("/for-you", response_class=HTMLResponse)
def for_you(
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    rankings: RankingsDep,
    members: MembersDep,
    now: NowDep,
    days: DaysQuery = 7,
) -> Response:
    """Show the member's recommendations over the past `days` days of papers."""
    return for_you_page(
        member=member,
        storage=storage,
        renderer=renderer,
        rankings=rankings,
        members=members,
        now=now,
        days=days,
    )


def for_you_page(
    *,
    member: User,
    storage: Storage,
    renderer: Renderer,
    rankings: RankingCache,
    members: MemberModels,
    now: datetime,
    days: int = 7,
) -> Response:
    """Render For you, with tabs to the latest day, week and month (also the member's home)."""
    start, end = recommendations.window_ending(storage, days=days, today=now.date())
    found = recommendations.recommend_for_member(
        storage=storage,
        user_id=member.id,
        start=start,
        end=end,
        limit=SHOWN,
        now=now,
        rankings=rankings,
        members=members,
    )
    last_day = end - timedelta(days=1)
    return renderer.page(
        "for_you.html",
        found=found,
        last_day=last_day,
        days=days,
        cold_start=found.cold_start,
        suggested_categories=SUGGESTED_CATEGORIES,
        tabs=[period_containing(kind, last_day) for kind in PeriodKind],
    )


@router.post("/for-you/start", response_class=HTMLResponse)
def start_recommendations(
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    now: NowDep,
    request: Request,
    categories: Annotated[list[str] | None, Form()] = None,
    other_categories: Annotated[str, Form()] = "",
    papers: Annotated[str, Form()] = "",
) -> Response:
    """Take the categories picked and papers pasted on the first visit as first likes."""
    picked = list(categories or []) + other_categories.replace(",", " ").split()
    with storage.transaction():
        report = recommendations.seed_interests(
            storage=storage, user_id=member.id, categories=picked, pasted=papers, now=now
        )
    return renderer.page(
        "for_you_started.html",
        status=200 if report.paper_ids else 400,
        report=report,
    )


@router.post("/papers/{paper_id:path}/not-interested")
def not_interested(
    paper_id: str,
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    undo: Annotated[str, Form()] = "",
) -> Response:
    """Hide the paper from the member's recommendations and learn from it (or undo that)."""
    with storage.transaction():
        if undo:
            recommendations.undo_dismiss(storage=storage, user_id=member.id, paper_id=paper_id)
        else:
            recommendations.dismiss(storage=storage, user_id=member.id, paper_id=paper_id, now=now)
    back = same_site_path(request.headers.get("referer", ""), request)
    return see_other(local_path(back, "/for-you"))


@router.post("/settings/for-you-digest")
def for_you_in_digest(
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    """Add a "For you" section to the member's email digest, or take it out."""
    with storage.transaction():
        storage.set_digest_for_you(member.id, enabled=enabled == "1", now=now)
    return see_other("/settings#digest")
