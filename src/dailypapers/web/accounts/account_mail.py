"""The mail accounts send: sign-up links, notes to registered addresses, password resets.

Each goes into the outbox in the request's own transaction (the link and its message are
kept together or not at all); `serve` or a worker sends it. A sign-up queues a message
whether the address is registered or not, so the two answers take as long.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from dailypapers.services.notices import delivery_lag, lag_note, queue_notice
from dailypapers.settings import Settings
from dailypapers.storage import Storage


def site_url(request: Request, settings: Settings) -> str:
    """Return the site's address for links in mail.

    DAILYPAPERS_PUBLIC_URL when set. Otherwise the request's own address, but only on
    a loopback host: from anywhere else the Host header is the sender's to choose, and
    a reset link pointing at their server would hand them the token.
    """
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = request.url.hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return str(request.base_url).rstrip("/")
    raise MailLinksUnavailable()


class MailLinksUnavailable(Exception):
    """The site cannot put links in mail: DAILYPAPERS_PUBLIC_URL is not set."""


def queue_signup_link(
    storage: Storage, settings: Settings, now: datetime, *, to: str, username: str, link: str
) -> None:
    """Queue the link that finishes a sign-up."""
    body = (
        f"Someone (we hope you) asked to join {settings.site_name} as {username}"
        f" with this address.\n\nTo finish, open this link within two days:\n\n{link}\n\n"
        "If it was not you, ignore this message: no account is made without the link.\n"
    )
    queue_notice(
        storage=storage, settings=settings, to=to, subject="finish signing up", body=body, now=now
    )


def queue_already_registered(
    storage: Storage, settings: Settings, now: datetime, *, to: str, username: str, reset_url: str
) -> None:
    """Tell an address that tried to sign up again that it already has an account."""
    body = (
        f"Someone (we hope you) asked to join {settings.site_name} with this address, but it"
        f" already belongs to the member {username}.\n\nSign in as {username}, or if you forgot"
        f" your password, reset it here:\n\n{reset_url}\n\n"
        "If it was not you, ignore this message.\n"
    )
    subject = "you already have an account"
    queue_notice(storage=storage, settings=settings, to=to, subject=subject, body=body, now=now)


def queue_reset_link(
    storage: Storage, settings: Settings, now: datetime, *, to: str, username: str, link: str
) -> None:
    """Queue a password reset link."""
    body = (
        f"Someone (we hope you) asked to reset the password of {username} on"
        f" {settings.site_name}.\n\nTo choose a new password, open this link within an"
        f" hour:\n\n{link}\n\nIf it was not you, ignore this message: your password stays.\n"
    )
    queue_notice(
        storage=storage, settings=settings, to=to, subject="reset your password", body=body, now=now
    )


def mail_note(storage: Storage, now: datetime) -> str | None:
    """Return what a visitor waiting for our mail should know about late delivery, if anything."""
    return lag_note(delivery_lag(storage=storage, now=now))
