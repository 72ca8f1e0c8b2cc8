"""Show a digest as a reader would get it, for anyone: /digest/preview.

The page frames the message the way webmail does: the mail's HTML comes from a route of
its own, under a policy that lets its inline styles apply (mail clients only read inline
styles) and runs no script, inside an iframe sandboxed without scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
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
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep
from dailypapers.web.digests.subscription_forms import PreviewLinksDep

router = APIRouter(include_in_schema=False)

# The message's own policy: its inline styles, our images, no script, no form, no plugin.
# Only this site's pages may frame it; links open outside the sandbox, in a new tab.
MESSAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
    " form-action 'none'; frame-ancestors 'self';"
    " sandbox allow-popups allow-popups-to-escape-sandbox"
)
# What the preview page's iframe allows: the same as the policy above, and never scripts.
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"


@dataclass(frozen=True)
class PreviewQuery:
    """What a preview asks for: a period, a reader's preferences and a format."""

    date: Annotated[str, Query(max_length=10, description="YYYY-MM-DD")] = ""
    week: Annotated[str, Query(max_length=8, description="YYYY-Www")] = ""
    top: Annotated[int, Query(ge=0, le=MAX_TOP_COUNT)] = DEFAULT_TOP_COUNT
    category: Annotated[list[str] | None, Query(max_length=200)] = None
    author: Annotated[list[str] | None, Query(max_length=200)] = None
    organization: Annotated[list[str] | None, Query(max_length=200)] = None
    search: Annotated[list[str] | None, Query(max_length=200)] = None
    format: Annotated[str, Query(pattern="^(html|text)$")] = "html"


def composed_preview(
    query: Annotated[PreviewQuery, Depends()],
    storage: StorageDep,
    settings: SettingsDep,
    links: PreviewLinksDep,
    now: NowDep,
) -> EmailMessage:
    """Compose the sample reader's digest asked for; 400 on bad input, 404 when empty."""
    try:
        period = _preview_period(storage, query.date, query.week)
        preferences = check_preferences(
            weekly=period.kind is PeriodKind.WEEK,
            top=query.top,
            categories=query.category or (),
            authors=query.author or (),
            organizations=query.organization or (),
            searches=query.search or (),
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
    parsed = message_from_bytes(message.data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


PreviewDep = Annotated[EmailMessage, Depends(composed_preview)]


@router.get("/digest/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    query: Annotated[PreviewQuery, Depends()],
    message: PreviewDep,
    renderer: RendererDep,
) -> Response:
    """Show a digest as a reader would get it: the latest day's, or the day or week asked."""
    if query.format == "text":
        return PlainTextResponse(_body(message, "plain"))
    response = renderer.page(
        "digest_preview.html",
        subject=str(message["Subject"]),
        sender=str(message["From"]),
        message_url="/digest/preview/message" + _query(request),
        text_url=f"/digest/preview?{_with_format(request, 'text')}",
        sandbox=FRAME_SANDBOX,
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/digest/preview/message", response_class=HTMLResponse)
def preview_message(message: PreviewDep) -> Response:
    """Serve the digest's HTML part alone, under the policy a mail client would apply."""
    html = _body(message, "html").replace("<head>", '<head>\n<base target="_blank">', 1)
    headers = {"Content-Security-Policy": MESSAGE_POLICY, "X-Robots-Tag": "noindex"}
    return HTMLResponse(html, headers=headers)


def _query(request: Request) -> str:
    """Return the request's query string with its question mark, or nothing."""
    return f"?{request.url.query}" if request.url.query else ""


def _with_format(request: Request, value: str) -> str:
    """Return the request's query string with its format set to this value."""
    params = [(key, item) for key, item in request.query_params.multi_items() if key != "format"]
    return urlencode([*params, ("format", value)])


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


def _body(message: EmailMessage, subtype: str) -> str:
    """Return the message's plain-text or HTML part."""
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")
