"""What the operator reads of the outbox: messages not sent yet, and whether delivery lags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dailypapers.domain.outbox import MessageKind


@dataclass(frozen=True, slots=True)
class UnsentMessage:
    """A message still waiting in the outbox (pending) or given up on (failed)."""

    id: int
    kind: MessageKind
    recipient: str
    state: str  # pending | failed
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    data: bytes | None  # the whole message; None once cancelled


@dataclass(frozen=True, slots=True)
class DeliveryLag:
    """Mail that should have gone and has not: how many messages, and the last error if any."""

    waiting: int
    last_error: str | None


class MailQueueStore(Protocol):
    """Read the outbox as an operator does."""

    def unsent_messages(self, *, limit: int) -> list[UnsentMessage]:
        """Return the newest messages that are pending or failed, newest first."""
        ...

    def delivery_lag(self, *, due_before: datetime) -> DeliveryLag | None:
        """Return the pending messages already tried, or due before then; None when none is."""
        ...
