"""One-off mail (sign-up and reset links, notes) through the outbox, and how delivery stands.

Nothing is sent inside a request: a message waits in the outbox until `serve` or a
worker sends it, so a mail server that is down loses nothing and the page can say
truthfully what happened: the message is queued, and whether delivery lags.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.mail.smtp import envelope_sender, finish_message
from dailypapers.settings import Settings
from dailypapers.storage.digests_protocol import DigestStore
from dailypapers.storage.mail_queue_protocol import DeliveryLag, MailQueueStore

# A sender polls every few seconds; mail that waited this long is late, not on its way.
LATE_AFTER = timedelta(minutes=2)


def queue_notice(
    *, storage: DigestStore, settings: Settings, to: str, subject: str, body: str, now: datetime
) -> None:
    """Put a plain-text message in the outbox, to be sent by `serve` or a worker."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = f"{settings.site_name}: {subject}"
    message.set_content(body)
    finish_message(message, settings=settings)
    storage.enqueue_messages(
        [
            OutgoingMessage(
                kind=MessageKind.NOTICE,
                key=f"notice:{secrets.token_hex(12)}",
                sender=envelope_sender(settings),
                recipient=to,
                data=message.as_bytes(policy=SMTP_POLICY),
            )
        ],
        now=now,
    )


def delivery_lag(*, storage: MailQueueStore, now: datetime) -> DeliveryLag | None:
    """Return the mail that is late (tried and failed, or never picked up), if any is."""
    return storage.delivery_lag(due_before=now - LATE_AFTER)


def lag_note(lag: DeliveryLag | None) -> str | None:
    """Return a sentence for a visitor about late mail, without the server's details."""
    if lag is None:
        return None
    if lag.last_error:
        return (
            "Mail delivery is having trouble right now: the site could not hand its last"
            " messages to its mail server. Yours is kept and retried, so it may arrive late."
        )
    return (
        "Mail is slow to leave right now: messages have waited a few minutes for the"
        " site's mail sender. Yours is kept and goes out when the sender runs."
    )
