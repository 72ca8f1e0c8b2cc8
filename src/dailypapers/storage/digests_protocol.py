"""The storage interface of digests: subscribers, the outbox, what each digest held."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from dailypapers.domain.digests import ComposedDigest, DigestRun
from dailypapers.domain.outbox import OutboxItem, OutgoingMessage
from dailypapers.domain.subscriptions import Frequency, Subscriber


class DigestStore(Protocol):
    """What the digest and mail services read and write."""

    # -- subscribers ---------------------------------------------------------------------

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        """Return the subscriber with this number, if any."""
        ...

    def find_subscriber(self, email: str) -> Subscriber | None:
        """Return the subscriber with this address, whatever its case, if any."""
        ...

    def save_subscriber(self, subscriber: Subscriber) -> Subscriber | None:
        """Insert (no id) or update a subscriber; return it, or None if the address is taken."""
        ...

    def delete_unconfirmed(self, *, asked_before: datetime) -> int:
        """Delete subscribers pending since before then, cancelling their mail; count them."""
        ...

    def subscribers_to_compose(
        self, *, frequency: Frequency, period: str, after_id: int, limit: int
    ) -> list[Subscriber]:
        """Return confirmed subscribers of this frequency past `after_id` with no digest yet."""
        ...

    def subscriber_counts(self) -> dict[str, int]:
        """Return how many subscribers there are in each status."""
        ...

    # -- digests -------------------------------------------------------------------------

    def papers_already_sent(
        self, subscriber_ids: Sequence[int], *, start: date, end: date
    ) -> dict[int, set[str]]:
        """Return the papers each subscriber's digests of periods overlapping [start, end) held."""
        ...

    def save_digests(
        self,
        digests: Sequence[ComposedDigest],
        messages: Sequence[OutgoingMessage],
        *,
        now: datetime,
    ) -> None:
        """Store composed digests and their messages; ones already stored are left as they are."""
        ...

    def claim_digest_run(
        self, *, period: str, frequency: Frequency, owner: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Lease the composing of a period's digests; False if finished or leased to another."""
        ...

    def progress_digest_run(
        self, *, period: str, owner: str, composed: int, lease_until: datetime
    ) -> bool:
        """Count more composed digests and extend the lease; False if the lease was lost."""
        ...

    def finish_digest_run(self, *, period: str, owner: str, now: datetime) -> None:
        """Mark the period's digests as all composed."""
        ...

    def get_digest_run(self, period: str) -> DigestRun | None:
        """Return how the composing of this period's digests stands, if it started."""
        ...

    # -- the outbox -----------------------------------------------------------------------

    def enqueue_messages(self, messages: Sequence[OutgoingMessage], *, now: datetime) -> None:
        """Put messages in the outbox, due now; a message whose key is there already is dropped."""
        ...

    def claim_messages(
        self, *, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxItem]:
        """Lease up to `limit` pending messages that are due and not leased to a live worker."""
        ...

    def renew_lease(
        self, message_ids: Sequence[int], *, owner: str, lease_until: datetime
    ) -> set[int]:
        """Extend the lease on these messages where it is still ours; return those."""
        ...

    def release_messages(self, message_ids: Sequence[int], *, owner: str) -> None:
        """Give up the lease on messages not tried, leaving them due."""
        ...

    def mark_sent(self, message_id: int, *, owner: str, now: datetime) -> bool:
        """Record that the server took the message; False if our lease on it was lost."""
        ...

    def defer_message(
        self, message_id: int, *, owner: str, until: datetime, error: str, hard: bool
    ) -> None:
        """Count a failed try and leave the message due again at `until`."""
        ...

    def fail_message(self, message_id: int, *, owner: str, error: str, hard: bool) -> None:
        """Count a failed try and give up on the message."""
        ...

    def cancel_messages(self, subscriber_id: int) -> int:
        """Cancel the subscriber's pending messages; return how many."""
        ...

    def outbox_counts(self) -> dict[str, int]:
        """Return how many messages are in each state."""
        ...

    def next_message_due(self) -> datetime | None:
        """Return when the earliest pending message is due, if any is pending."""
        ...

    def forget_old_mail(self, *, done_before: datetime, periods_before: date) -> int:
        """Delete finished messages made before then and digests of periods ended before; count."""
        ...
