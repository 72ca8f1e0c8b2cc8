"""The operator's reading of the outbox, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.storage import Storage

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)


def _notice(key: str) -> OutgoingMessage:
    data = f"To: {key}@example.org\r\nSubject: {key}\r\n\r\nBody of {key}\r\n".encode()
    return OutgoingMessage(MessageKind.NOTICE, key, "papers@example.org", f"{key}@x.org", data)


def test_unsent_messages_are_listed_newest_first_with_their_text(storage: Storage) -> None:
    storage.enqueue_messages([_notice("old"), _notice("sent")], now=NOW)
    storage.enqueue_messages([_notice("new")], now=NOW + timedelta(minutes=1))
    claimed = storage.claim_messages(
        owner="w", now=NOW, lease_until=NOW + timedelta(minutes=5), limit=2
    )
    sent = next(item for item in claimed if item.recipient == "sent@x.org")
    storage.mark_sent(sent.id, owner="w", now=NOW)
    storage.release_messages([item.id for item in claimed if item is not sent], owner="w")

    unsent = storage.unsent_messages(limit=10)

    assert [item.recipient for item in unsent] == ["new@x.org", "old@x.org"]
    assert unsent[0].data is not None and b"Body of new" in unsent[0].data
    assert unsent[0].state == "pending" and unsent[0].attempts == 0
    assert storage.unsent_messages(limit=1)[0].recipient == "new@x.org"


def test_delivery_lags_when_a_try_failed_or_nothing_picked_mail_up(storage: Storage) -> None:
    assert storage.delivery_lag(due_before=NOW) is None
    storage.enqueue_messages([_notice("a"), _notice("b")], now=NOW)

    assert storage.delivery_lag(due_before=NOW) is None  # due just now: on its way
    waiting = storage.delivery_lag(due_before=NOW + timedelta(minutes=3))
    assert waiting is not None and (waiting.waiting, waiting.last_error) == (2, None)

    [first, *_] = storage.claim_messages(
        owner="w", now=NOW, lease_until=NOW + timedelta(minutes=5), limit=1
    )
    storage.defer_message(
        first.id, owner="w", until=NOW + timedelta(minutes=1), error="421 busy", hard=False
    )
    failing = storage.delivery_lag(due_before=NOW)
    assert failing is not None and (failing.waiting, failing.last_error) == (1, "421 busy")
