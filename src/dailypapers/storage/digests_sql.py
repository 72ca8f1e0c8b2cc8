"""Digest queries both backends share: subscribers, digests, their runs and the outbox.

Outbox changes are single statements, atomic on their own: marking each message sent
the moment the server took it needs no transaction, and bumps no page-cache generation.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from dailypapers.domain.digests import ComposedDigest, DigestRun
from dailypapers.domain.outbox import MessageKind, OutboxItem, OutgoingMessage
from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    Topics,
)
from dailypapers.storage.sql_values import (
    Row,
    SqlAccess,
    batches,
    to_datetime,
    to_optional_datetime,
)

_SUBSCRIBER_COLUMNS = (
    "id, email, status, frequency, top_count, categories, authors, organizations, queries,"
    " created_at, status_at, noticed_at"
)
_ITEM_COLUMNS = (
    "id, kind, sender, recipient, data, subscriber_id, attempts, hard_failures, created_at"
)
# Level 1: digests are mostly repeated HTML; it already shrinks them several times over.
_COMPRESSION_LEVEL = 1


def moment(value: datetime) -> str:
    """Return a moment as fixed-width ISO 8601 in UTC, so SQLite can compare it as text."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _optional_moment(value: datetime | None) -> str | None:
    """Return a moment as fixed-width text, or None."""
    return moment(value) if value else None


class DigestsSql(SqlAccess):
    """The digests half of SqlStorage."""

    if TYPE_CHECKING:

        def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    # The clause that skips rows other workers are claiming: PostgreSQL sets it, SQLite has
    # one writer at a time.
    skip_locked = ""

    # -- subscribers ---------------------------------------------------------------------

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        """Return the subscriber with this number, if any."""
        rows = self._execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
        )
        return _subscriber_from_row(rows[0]) if rows else None

    def find_subscriber(self, email: str) -> Subscriber | None:
        """Return the subscriber with this address, whatever its case, if any."""
        rows = self._execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE lower(email) = lower(?)",
            (email,),
        )
        return _subscriber_from_row(rows[0]) if rows else None

    def save_subscriber(self, subscriber: Subscriber) -> Subscriber | None:
        """Insert (no id) or update a subscriber; return it, or None if the address is taken."""
        values = _subscriber_values(subscriber)
        if subscriber.id is None:
            rows = self._execute(
                f"INSERT INTO subscribers ({_SUBSCRIBER_COLUMNS.removeprefix('id, ')})"
                f" VALUES ({', '.join('?' * len(values))})"
                f" ON CONFLICT DO NOTHING RETURNING {_SUBSCRIBER_COLUMNS}",
                values,
            )
        else:
            assignments = ", ".join(
                f"{column} = ?" for column in _SUBSCRIBER_COLUMNS.split(", ")[1:]
            )
            rows = self._execute(
                f"UPDATE subscribers SET {assignments} WHERE id = ?"
                f" AND NOT EXISTS (SELECT 1 FROM subscribers other"
                f" WHERE lower(other.email) = lower(?) AND other.id <> ?)"
                f" RETURNING {_SUBSCRIBER_COLUMNS}",
                (*values, subscriber.id, subscriber.email, subscriber.id),
            )
        return _subscriber_from_row(rows[0]) if rows else None

    def delete_unconfirmed(self, *, asked_before: datetime) -> int:
        """Delete subscribers pending since before then, cancelling their mail; count them."""
        cutoff = moment(asked_before)
        with self._transaction():
            self._execute(
                "UPDATE outbox SET state = 'cancelled', data = NULL"
                " WHERE state = 'pending' AND subscriber_id IN (SELECT id FROM subscribers"
                " WHERE status = 'pending' AND status_at < ?)",
                (cutoff,),
            )
            rows = self._execute(
                "DELETE FROM subscribers WHERE status = 'pending' AND status_at < ? RETURNING id",
                (cutoff,),
            )
        return len(rows)

    def subscribers_to_compose(
        self, *, frequency: Frequency, period: str, after_id: int, limit: int
    ) -> list[Subscriber]:
        """Return confirmed subscribers of this frequency past `after_id` with no digest yet."""
        rows = self._execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers s"
            " WHERE s.status = 'confirmed' AND s.frequency = ? AND s.id > ?"
            " AND NOT EXISTS (SELECT 1 FROM digests d"
            " WHERE d.subscriber_id = s.id AND d.period = ?)"
            " ORDER BY s.id LIMIT ?",
            (frequency.value, after_id, period, limit),
        )
        return [_subscriber_from_row(row) for row in rows]

    def subscriber_counts(self) -> dict[str, int]:
        """Return how many subscribers there are in each status."""
        rows = self._execute("SELECT status, COUNT(*) FROM subscribers GROUP BY status")
        return {status: int(count) for status, count in rows}

    # -- digests -------------------------------------------------------------------------

    def papers_already_sent(
        self, subscriber_ids: Sequence[int], *, start: date, end: date
    ) -> dict[int, set[str]]:
        """Return the papers each subscriber's digests of periods overlapping [start, end) held."""
        sent: dict[int, set[str]] = {}
        for batch in batches(subscriber_ids):
            marks = ", ".join("?" * len(batch))
            for subscriber_id, paper_ids in self._execute(
                "SELECT subscriber_id, paper_ids FROM digests"
                f" WHERE subscriber_id IN ({marks}) AND period_start < ? AND period_end > ?",
                (*batch, end.isoformat(), start.isoformat()),
            ):
                sent.setdefault(int(subscriber_id), set()).update(json.loads(paper_ids))
        return sent

    def save_digests(
        self,
        digests: Sequence[ComposedDigest],
        messages: Sequence[OutgoingMessage],
        *,
        now: datetime,
    ) -> None:
        """Store composed digests and their messages; ones already stored are left as they are."""
        self.enqueue_messages(messages, now=now)
        self._execute_many(
            "INSERT INTO digests (subscriber_id, period, period_start, period_end, paper_ids,"
            " outbox_id, composed_at) VALUES (?, ?, ?, ?, ?,"
            " (SELECT id FROM outbox WHERE dedupe_key = ?), ?)"
            " ON CONFLICT (subscriber_id, period) DO NOTHING",
            [
                (
                    digest.subscriber_id,
                    digest.period.key,
                    digest.period.start.isoformat(),
                    digest.period.end.isoformat(),
                    json.dumps(list(digest.paper_ids)),
                    digest.message_key,
                    moment(now),
                )
                for digest in digests
            ],
        )

    def claim_digest_run(
        self, *, period: str, frequency: Frequency, owner: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Lease the composing of a period's digests; False if finished or leased to another."""
        self._execute(
            "INSERT INTO digest_runs (period, frequency, started_at) VALUES (?, ?, ?)"
            " ON CONFLICT (period) DO NOTHING",
            (period, frequency.value, moment(now)),
        )
        rows = self._execute(
            "UPDATE digest_runs SET lease_owner = ?, lease_until = ?"
            " WHERE period = ? AND finished_at IS NULL"
            " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) RETURNING period",
            (owner, moment(lease_until), period, owner, moment(now)),
        )
        return bool(rows)

    def progress_digest_run(
        self, *, period: str, owner: str, composed: int, lease_until: datetime
    ) -> bool:
        """Count more composed digests and extend the lease; False if the lease was lost."""
        rows = self._execute(
            "UPDATE digest_runs SET composed = composed + ?, lease_until = ?"
            " WHERE period = ? AND lease_owner = ? RETURNING period",
            (composed, moment(lease_until), period, owner),
        )
        return bool(rows)

    def finish_digest_run(self, *, period: str, owner: str, now: datetime) -> None:
        """Mark the period's digests as all composed."""
        self._execute(
            "UPDATE digest_runs SET finished_at = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE period = ? AND lease_owner = ?",
            (moment(now), period, owner),
        )

    def get_digest_run(self, period: str) -> DigestRun | None:
        """Return how the composing of this period's digests stands, if it started."""
        rows = self._execute(
            "SELECT period, frequency, started_at, finished_at, composed, lease_until"
            " FROM digest_runs WHERE period = ?",
            (period,),
        )
        if not rows:
            return None
        key, frequency, started, finished, composed, lease_until = rows[0]
        return DigestRun(
            key,
            Frequency(frequency),
            to_datetime(started),
            to_optional_datetime(finished),
            int(composed),
            to_optional_datetime(lease_until),
        )

    # -- the outbox -----------------------------------------------------------------------

    def enqueue_messages(self, messages: Sequence[OutgoingMessage], *, now: datetime) -> None:
        """Put messages in the outbox, due now; a message whose key is there already is dropped."""
        self._execute_many(
            "INSERT INTO outbox (kind, dedupe_key, subscriber_id, sender, recipient, data, state,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            [
                (
                    message.kind.value,
                    message.key,
                    message.subscriber_id,
                    message.sender,
                    message.recipient,
                    zlib.compress(message.data, _COMPRESSION_LEVEL),
                    moment(now),
                    moment(now),
                )
                for message in messages
            ],
        )

    def claim_messages(
        self, *, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxItem]:
        """Lease up to `limit` pending messages that are due and not leased to a live worker."""
        rows = self._execute(
            "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ("
            " SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?)"
            f" ORDER BY next_attempt_at, id LIMIT ?{self.skip_locked})"
            f" RETURNING {_ITEM_COLUMNS}",
            (owner, moment(lease_until), moment(now), moment(now), limit),
        )
        return sorted((_item_from_row(row) for row in rows), key=lambda item: item.id)

    def renew_lease(
        self, message_ids: Sequence[int], *, owner: str, lease_until: datetime
    ) -> set[int]:
        """Extend the lease on these messages where it is still ours; return those."""
        held: set[int] = set()
        for batch in batches(message_ids):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                f"UPDATE outbox SET lease_until = ? WHERE id IN ({marks}) AND lease_owner = ?"
                " AND state = 'pending' RETURNING id",
                (moment(lease_until), *batch, owner),
            )
            held.update(int(row[0]) for row in rows)
        return held

    def release_messages(self, message_ids: Sequence[int], *, owner: str) -> None:
        """Give up the lease on messages not tried, leaving them due."""
        for batch in batches(message_ids):
            marks = ", ".join("?" * len(batch))
            self._execute(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL"
                f" WHERE id IN ({marks}) AND lease_owner = ?",
                (*batch, owner),
            )

    def mark_sent(self, message_id: int, *, owner: str, now: datetime) -> bool:
        """Record that the server took the message; False if our lease on it was lost."""
        rows = self._execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
            " data = NULL, last_error = NULL, lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND lease_owner = ? RETURNING id",
            (moment(now), message_id, owner),
        )
        return bool(rows)

    def defer_message(
        self, message_id: int, *, owner: str, until: datetime, error: str, hard: bool
    ) -> None:
        """Count a failed try and leave the message due again at `until`."""
        self._execute(
            "UPDATE outbox SET attempts = attempts + 1, hard_failures = hard_failures + ?,"
            " next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND lease_owner = ?",
            (int(hard), moment(until), error[:1000], message_id, owner),
        )

    def fail_message(self, message_id: int, *, owner: str, error: str, hard: bool) -> None:
        """Count a failed try and give up on the message."""
        self._execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1,"
            " hard_failures = hard_failures + ?, last_error = ?,"
            " lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
            (int(hard), error[:1000], message_id, owner),
        )

    def cancel_messages(self, subscriber_id: int) -> int:
        """Cancel the subscriber's pending messages; return how many."""
        rows = self._execute(
            "UPDATE outbox SET state = 'cancelled', data = NULL"
            " WHERE subscriber_id = ? AND state = 'pending' RETURNING id",
            (subscriber_id,),
        )
        return len(rows)

    def outbox_counts(self) -> dict[str, int]:
        """Return how many messages are in each state."""
        rows = self._execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {state: int(count) for state, count in rows}

    def next_message_due(self) -> datetime | None:
        """Return when the earliest pending message is due, if any is pending."""
        value = self._execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        return to_optional_datetime(value[0][0])

    def forget_old_mail(self, *, done_before: datetime, periods_before: date) -> int:
        """Delete finished messages made before then and digests of periods ended before; count."""
        with self._transaction():
            digests = self._execute(
                "DELETE FROM digests WHERE period_end < ? RETURNING subscriber_id",
                (periods_before.isoformat(),),
            )
            messages = self._execute(
                "DELETE FROM outbox WHERE state <> 'pending' AND created_at < ? RETURNING id",
                (moment(done_before),),
            )
        return len(digests) + len(messages)


def _subscriber_values(subscriber: Subscriber) -> tuple[Any, ...]:
    """Return the column values of a subscriber, without its number."""
    preferences, topics = subscriber.preferences, subscriber.preferences.topics
    return (
        subscriber.email,
        subscriber.status.value,
        preferences.frequency.value,
        preferences.top_count,
        json.dumps(list(topics.categories)),
        json.dumps(list(topics.authors), ensure_ascii=False),
        json.dumps(list(topics.organizations), ensure_ascii=False),
        json.dumps(list(topics.queries), ensure_ascii=False),
        moment(subscriber.created_at),
        moment(subscriber.status_at),
        _optional_moment(subscriber.noticed_at),
    )


def _subscriber_from_row(row: Row) -> Subscriber:
    """Build a subscriber from the columns of _SUBSCRIBER_COLUMNS."""
    topics = Topics(
        categories=tuple(json.loads(row[5])),
        authors=tuple(json.loads(row[6])),
        organizations=tuple(json.loads(row[7])),
        queries=tuple(json.loads(row[8])),
    )
    return Subscriber(
        id=int(row[0]),
        email=row[1],
        status=SubscriberStatus(row[2]),
        preferences=Preferences(Frequency(row[3]), int(row[4]), topics),
        created_at=to_datetime(row[9]),
        status_at=to_datetime(row[10]),
        noticed_at=to_optional_datetime(row[11]),
    )


def _item_from_row(row: Row) -> OutboxItem:
    """Build an outbox item from the columns of _ITEM_COLUMNS."""
    return OutboxItem(
        id=int(row[0]),
        kind=MessageKind(row[1]),
        sender=row[2],
        recipient=row[3],
        data=zlib.decompress(bytes(row[4])),
        subscriber_id=None if row[5] is None else int(row[5]),
        attempts=int(row[6]),
        hard_failures=int(row[7]),
        created_at=to_datetime(row[8]),
    )


__all__ = ["DigestsSql", "moment"]
