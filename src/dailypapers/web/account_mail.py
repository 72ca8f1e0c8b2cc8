"""The mail accounts send: sign-up links, notes to registered addresses, password resets.

Sent after the response has gone (a background task), so that the answer to a
sign-up or reset form takes as long whether an address is registered or not.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from fastapi import BackgroundTasks, Request

from dailypapers.mail.smtp import MailError, send_email
from dailypapers.settings import Settings

log = logging.getLogger("dailypapers.accounts")


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


def _message(settings: Settings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = f"{settings.site_name}: {subject}"
    message.set_content(body)
    return message


def _send(settings: Settings, message: EmailMessage) -> None:
    try:
        send_email(message, settings=settings)
    except MailError as error:
        # Logged, not shown: the page already answered, and must say the same either way.
        log.warning("could not send %r to %s: %s", message["Subject"], message["To"], error)


def queue_signup_link(
    tasks: BackgroundTasks, settings: Settings, *, to: str, username: str, link: str
) -> None:
    """Mail the link that finishes a sign-up."""
    body = (
        f"Someone (we hope you) asked to join {settings.site_name} as {username}"
        f" with this address.\n\nTo finish, open this link within two days:\n\n{link}\n\n"
        "If it was not you, ignore this message: no account is made without the link.\n"
    )
    tasks.add_task(
        _send, settings, _message(settings, to=to, subject="finish signing up", body=body)
    )


def queue_already_registered(
    tasks: BackgroundTasks, settings: Settings, *, to: str, username: str, reset_url: str
) -> None:
    """Tell an address that tried to sign up again that it already has an account."""
    body = (
        f"Someone (we hope you) asked to join {settings.site_name} with this address, but it"
        f" already belongs to the member {username}.\n\nSign in as {username}, or if you forgot"
        f" your password, reset it here:\n\n{reset_url}\n\n"
        "If it was not you, ignore this message.\n"
    )
    tasks.add_task(
        _send, settings, _message(settings, to=to, subject="you already have an account", body=body)
    )


def queue_reset_link(
    tasks: BackgroundTasks, settings: Settings, *, to: str, username: str, link: str
) -> None:
    """Mail a password reset link."""
    body = (
        f"Someone (we hope you) asked to reset the password of {username} on"
        f" {settings.site_name}.\n\nTo choose a new password, open this link within an"
        f" hour:\n\n{link}\n\nIf it was not you, ignore this message: your password stays.\n"
    )
    tasks.add_task(
        _send, settings, _message(settings, to=to, subject="reset your password", body=body)
    )
