"""The admins' view of the site's mail: what waits in the outbox, and why it has not gone."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from dailypapers.mail.reading import summarize
from dailypapers.services import moderation
from dailypapers.services.notices import delivery_lag
from dailypapers.storage.mail_queue_protocol import UnsentMessage
from dailypapers.web.accounts.auth import MemberDep
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep

router = APIRouter(include_in_schema=False)
SHOWN = 50


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One waiting message as the page lists it: never its body or links."""

    message: UnsentMessage
    subject: str


@router.get("/admin/mail", response_class=HTMLResponse)
def admin_mail_page(
    member: MemberDep,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    now: NowDep,
) -> Response:
    """Show the outbox by state, whether delivery is late and why, and the messages waiting."""
    moderation.require_admin(member)
    # Subjects only: a waiting message may hold someone's sign-in or reset link, which only
    # its addressee (or whoever runs the server, with `dailypapers mail outbox`) may read.
    rows = [
        MessageRow(item, summarize(item.data).subject if item.data else "")
        for item in storage.unsent_messages(limit=SHOWN)
    ]
    return renderer.page(
        "admin_mail.html",
        counts=sorted(storage.outbox_counts().items()),
        lag=delivery_lag(storage=storage, now=now),
        rows=rows,
        smtp=f"{settings.smtp_host}:{settings.smtp_port}",
        sends=bool(settings.serve_sends_mail),
    )
