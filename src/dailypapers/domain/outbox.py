"""Messages waiting to be sent, and how long to wait before trying one again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MAX_RETRY_DELAY = timedelta(hours=6)


class MessageKind(StrEnum):
    """What a message is, for counting and for telling readers' mail from notices."""

    DIGEST = "digest"
    CONFIRMATION = "confirmation"  # the double opt-in link, or a reminder of a subscription
    NOTICE = "notice"  # any other one-off message (password resets and the like)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A composed message to put in the outbox, once: `key` names it uniquely."""

    kind: MessageKind
    key: str  # e.g. digest:17:2026-11-24; a second message with the same key is dropped
    sender: str  # envelope sender
    recipient: str
    data: bytes  # the whole RFC 5322 message, CRLF line ends
    subscriber_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A pending message a worker has leased to send."""

    id: int
    kind: MessageKind
    sender: str
    recipient: str
    data: bytes
    subscriber_id: int | None
    attempts: int  # tries so far, not counting this one
    hard_failures: int  # permanent (5xx) refusals so far
    created_at: datetime


def retry_delay(attempts: int, *, first: timedelta) -> timedelta:
    """Return how long to wait after the `attempts`th failed try: doubling, at most six hours."""
    if attempts < 1:
        return timedelta(0)
    # Capped before multiplying, so that a message tried hundreds of times cannot overflow.
    doublings: int = 2 ** min(attempts - 1, 20)
    return min(min(first, MAX_RETRY_DELAY) * doublings, MAX_RETRY_DELAY)
