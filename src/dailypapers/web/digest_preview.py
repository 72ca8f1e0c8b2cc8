"""Show a digest as a reader would get it, for anyone: /digest/preview."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from dailypapers.domain.periods import Period, PeriodKind, parse_day, parse_week, period_containing
from dailypapers.domain.subscriptions import (
    DEFAULT_TOP_COUNT,
    MAX_TOP_COUNT,
    Subscriber,
    SubscriberStatus,
)
from dailypapers.services.digests import preview_digest
from dailypapers.services.subscriptions import check_preferences
from dailypapers.storage import Storage
from dailypapers.web.dependencies import NowDep, SettingsDep, StorageDep
from dailypapers.web.subscription_forms import PreviewLinksDep

router = APIRouter(include_in_schema=False)


@router.get("/digest/preview", response_class=HTMLResponse)
def preview(
    storage: StorageDep,
    settings: SettingsDep,
    links: PreviewLinksDep,
    now: NowDep,
    date: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = "",
    week: Annotated[str, Query(max_length=8, description="YYYY-Www")] = "",
    top: Annotated[int, Query(ge=0, le=MAX_TOP_COUNT)] = DEFAULT_TOP_COUNT,
    category: Annotated[list[str] | None, Query(max_length=200)] = None,
    author: Annotated[list[str] | None, Query(max_length=200)] = None,
    organization: Annotated[list[str] | None, Query(max_length=200)] = None,
    search: Annotated[list[str] | None, Query(max_length=200)] = None,
    format: Annotated[str, Query(pattern="^(html|text)$")] = "html",
) -> Response:
    """Show a digest as a reader would get it: the latest day's, or the day or week asked."""
    try:
        period = _preview_period(storage, date, week)
        preferences = check_preferences(
            weekly=period.kind is PeriodKind.WEEK,
            top=top,
            categories=category or (),
            authors=author or (),
            organizations=organization or (),
            searches=search or (),
        )
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    sample = Subscriber(
        None, "reader@example.org", SubscriberStatus.CONFIRMED, preferences, now, now
    )
    _plan, message = preview_digest(
        storage=storage, settings=settings, links=links, subscriber=sample, period=period, now=now
    )
    if message is None:
        raise HTTPException(404, f"no digest for {period.key}: no papers match")
    bodies = _bodies(message.data)
    if format == "text":
        return PlainTextResponse(bodies[0])
    return HTMLResponse(bodies[1], headers={"X-Robots-Tag": "noindex"})


def _preview_period(storage: Storage, date: str, week: str) -> Period:
    """Return the day or week asked for, else the latest day with papers."""
    if date and week:
        raise ValueError("give a date or a week, not both")
    if date:
        return parse_day(date)
    if week:
        return parse_week(week)
    latest = storage.latest_day()
    if latest is None:
        raise HTTPException(404, "no papers yet, so no digest to show")
    return period_containing(PeriodKind.DAY, latest)


def _bodies(data: bytes) -> tuple[str, str]:
    """Return the plain text and HTML of a digest message."""
    parsed = message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    return (
        str(text.get_content()).replace("\r\n", "\n"),
        str(html.get_content()).replace("\r\n", "\n"),
    )
