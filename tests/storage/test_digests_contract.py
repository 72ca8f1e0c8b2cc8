"""The digests part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from threading import Barrier

from dailypapers.domain.digests import ComposedDigest
from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.domain.periods import parse_day, parse_week
from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    Topics,
)
from dailypapers.storage import Storage

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
TRICKY = '\'; DROP TABLE subscribers; -- 100% %s ? $1 \\ "q"'


def subscriber(
    email: str,
    *,
    status: SubscriberStatus = SubscriberStatus.CONFIRMED,
    frequency: Frequency = Frequency.DAILY,
    topics: Topics | None = None,
) -> Subscriber:
    """Return an unsaved subscriber."""
    return Subscriber(
        id=None,
        email=email,
        status=status,
        preferences=Preferences(frequency, 5, topics or Topics()),
        created_at=NOW,
        status_at=NOW,
    )


def add(storage: Storage, *subscribers: Subscriber) -> list[Subscriber]:
    """Store these subscribers; return them with their numbers."""
    saved = [storage.save_subscriber(item) for item in subscribers]
    assert all(saved)
    return [item for item in saved if item is not None]


def message(key: str, recipient: str = "a@example.org", **fields: object) -> OutgoingMessage:
    """Return an outgoing notice with this key."""
    data = f"Subject: {key}\r\n\r\nBody of {key} {TRICKY}\r\n".encode()
    return OutgoingMessage(
        kind=fields.pop("kind", MessageKind.NOTICE),  # type: ignore[arg-type]
        key=key,
        sender="papers@example.org",
        recipient=recipient,
        data=data,
        subscriber_id=fields.pop("subscriber_id", None),  # type: ignore[arg-type]
    )


# -- subscribers ------------------------------------------------------------------------


def test_subscribers_round_trip_every_field(storage: Storage) -> None:
    topics = Topics(("cs.CL", "cs"), ("Zoë Ångström", TRICKY), ("openai",), ("diffusion",))
    (saved,) = add(storage, subscriber("O'Neil+digest@Example.org", topics=topics))
    storage.close()

    assert saved.id is not None
    assert storage.get_subscriber(saved.id) == saved
    assert saved.preferences.topics == topics
    assert storage.find_subscriber("o'neil+DIGEST@example.ORG") == saved
    assert storage.find_subscriber("someone@example.org") is None


def test_an_address_is_stored_once_whatever_its_case(storage: Storage) -> None:
    add(storage, subscriber("reader@example.org"))

    assert storage.save_subscriber(subscriber("READER@example.org")) is None
    (other,) = add(storage, subscriber("other@example.org"))
    assert storage.save_subscriber(replace(other, email="Reader@example.org")) is None
    assert storage.get_subscriber(other.id or 0) == other


def test_updates_replace_status_and_preferences(storage: Storage) -> None:
    (saved,) = add(storage, subscriber("reader@example.org", status=SubscriberStatus.PENDING))
    later = NOW + timedelta(hours=1)
    changed = replace(
        saved,
        status=SubscriberStatus.UNSUBSCRIBED,
        status_at=later,
        noticed_at=later,
        preferences=Preferences(Frequency.WEEKLY, 0, Topics(categories=("cs.LG",))),
    )

    assert storage.save_subscriber(changed) == changed
    assert storage.get_subscriber(saved.id or 0) == changed
    assert storage.subscriber_counts() == {"unsubscribed": 1}


def test_unconfirmed_subscribers_expire_and_their_mail_is_cancelled(storage: Storage) -> None:
    old, new, confirmed = add(
        storage,
        subscriber("old@example.org", status=SubscriberStatus.PENDING),
        replace(
            subscriber("new@example.org", status=SubscriberStatus.PENDING),
            status_at=NOW + timedelta(days=3),
        ),
        subscriber("kept@example.org"),
    )
    storage.enqueue_messages(
        [message("confirm:old", "old@example.org", subscriber_id=old.id)], now=NOW
    )

    assert storage.delete_unconfirmed(asked_before=NOW + timedelta(days=1)) == 1
    assert storage.get_subscriber(old.id or 0) is None
    assert storage.get_subscriber(new.id or 0) == new
    assert storage.get_subscriber(confirmed.id or 0) == confirmed
    assert storage.outbox_counts() == {"cancelled": 1}


def test_subscribers_to_compose_skip_others_and_those_already_composed(
    storage: Storage,
) -> None:
    daily = add(storage, *(subscriber(f"d{n}@example.org") for n in range(5)))
    add(
        storage,
        subscriber("weekly@example.org", frequency=Frequency.WEEKLY),
        subscriber("pending@example.org", status=SubscriberStatus.PENDING),
        subscriber("gone@example.org", status=SubscriberStatus.BOUNCING),
    )
    day = parse_day("2026-11-24")
    storage.save_digests(
        [ComposedDigest(daily[1].id or 0, day, ("2411.00001",), None)], [], now=NOW
    )

    first = storage.subscribers_to_compose(
        frequency=Frequency.DAILY, period=day.key, after_id=0, limit=2
    )
    rest = storage.subscribers_to_compose(
        frequency=Frequency.DAILY, period=day.key, after_id=first[-1].id or 0, limit=10
    )

    assert [item.email for item in first + rest] == [
        "d0@example.org",
        "d2@example.org",
        "d3@example.org",
        "d4@example.org",
    ]


# -- digests ------------------------------------------------------------------------------


def test_papers_already_sent_come_from_digests_of_overlapping_periods(storage: Storage) -> None:
    one, two = add(storage, subscriber("one@example.org"), subscriber("two@example.org"))
    monday, tuesday = parse_day("2026-11-23"), parse_day("2026-11-24")
    storage.save_digests(
        [
            ComposedDigest(one.id or 0, monday, ("2411.00001", "2411.00002"), "digest:1:mon"),
            ComposedDigest(one.id or 0, tuesday, ("2411.00003",), None),
            ComposedDigest(two.id or 0, parse_day("2026-11-30"), ("2411.00009",), None),
        ],
        [message("digest:1:mon", kind=MessageKind.DIGEST, subscriber_id=one.id)],
        now=NOW,
    )

    sent = storage.papers_already_sent(
        [one.id or 0, two.id or 0], start=parse_week("2026-W48").start, end=date(2026, 11, 30)
    )

    assert sent == {one.id: {"2411.00001", "2411.00002", "2411.00003"}}
    tuesday_only = storage.papers_already_sent([one.id or 0], start=tuesday.start, end=tuesday.end)
    assert tuesday_only == {one.id: {"2411.00003"}}


def test_a_digest_is_saved_once_per_subscriber_and_period(storage: Storage) -> None:
    (one,) = add(storage, subscriber("one@example.org"))
    day = parse_day("2026-11-24")
    key = f"digest:{one.id}:{day.key}"
    for papers in (("2411.00001",), ("2411.00002",)):
        storage.save_digests(
            [ComposedDigest(one.id or 0, day, papers, key)],
            [message(key, kind=MessageKind.DIGEST, subscriber_id=one.id)],
            now=NOW,
        )

    assert storage.outbox_counts() == {"pending": 1}
    assert storage.papers_already_sent([one.id or 0], start=day.start, end=day.end) == {
        one.id: {"2411.00001"}
    }


def test_a_digest_run_is_leased_to_one_owner_until_it_lapses(storage: Storage) -> None:
    lease = NOW + timedelta(minutes=5)
    claim = {"period": "2026-11-24", "frequency": Frequency.DAILY, "now": NOW}

    assert storage.claim_digest_run(owner="a", lease_until=lease, **claim)  # type: ignore[arg-type]
    assert not storage.claim_digest_run(owner="b", lease_until=lease, **claim)  # type: ignore[arg-type]
    assert storage.progress_digest_run(
        period="2026-11-24", owner="a", composed=7, lease_until=lease
    )
    assert not storage.progress_digest_run(
        period="2026-11-24", owner="b", composed=1, lease_until=lease
    )
    later = {**claim, "now": lease + timedelta(seconds=1)}
    assert storage.claim_digest_run(owner="b", lease_until=lease + timedelta(hours=1), **later)  # type: ignore[arg-type]
    storage.finish_digest_run(period="2026-11-24", owner="b", now=lease)

    run = storage.get_digest_run("2026-11-24")
    assert run is not None and run.finished_at == lease and run.composed == 7
    assert run.frequency is Frequency.DAILY and run.started_at == NOW
    assert not storage.claim_digest_run(owner="c", lease_until=lease, **later)  # type: ignore[arg-type]
    assert storage.get_digest_run("2026-W48") is None


# -- the outbox ----------------------------------------------------------------------------


def test_messages_are_claimed_once_in_order_and_come_back_byte_for_byte(
    storage: Storage,
) -> None:
    storage.enqueue_messages([message(f"m{n}") for n in range(5)], now=NOW)
    storage.enqueue_messages([message("m0", "someone-else@example.org")], now=NOW)
    lease = NOW + timedelta(minutes=5)

    first = storage.claim_messages(owner="a", now=NOW, lease_until=lease, limit=3)
    second = storage.claim_messages(owner="b", now=NOW, lease_until=lease, limit=3)
    third = storage.claim_messages(owner="c", now=NOW, lease_until=lease, limit=3)

    assert [item.data for item in first] == [message(f"m{n}").data for n in range(3)]
    assert [item.recipient for item in first] == ["a@example.org"] * 3
    assert len(second) == 2 and third == []
    assert first[0].attempts == 0 and first[0].created_at == NOW
    assert first[0].kind is MessageKind.NOTICE


def test_a_lapsed_lease_lets_another_worker_take_the_message(storage: Storage) -> None:
    storage.enqueue_messages([message("m")], now=NOW)
    lease = NOW + timedelta(seconds=30)
    (item,) = storage.claim_messages(owner="dead", now=NOW, lease_until=lease, limit=10)

    assert storage.claim_messages(owner="b", now=lease, lease_until=lease, limit=10) == []
    later = lease + timedelta(microseconds=1)
    (again,) = storage.claim_messages(owner="b", now=later, lease_until=later, limit=10)

    assert again.id == item.id
    assert not storage.mark_sent(item.id, owner="dead", now=later)
    assert storage.mark_sent(item.id, owner="b", now=later)
    assert storage.outbox_counts() == {"sent": 1}


def test_renewed_leases_hold_and_released_messages_are_due_at_once(storage: Storage) -> None:
    storage.enqueue_messages([message("m1"), message("m2")], now=NOW)
    lease = NOW + timedelta(seconds=30)
    one, two = storage.claim_messages(owner="a", now=NOW, lease_until=lease, limit=10)
    storage.renew_lease([one.id], owner="a", lease_until=lease + timedelta(hours=1))
    storage.release_messages([two.id], owner="a")

    later = lease + timedelta(seconds=1)
    claimed = storage.claim_messages(owner="b", now=later, lease_until=later, limit=10)

    assert [item.id for item in claimed] == [two.id]
    assert claimed[0].attempts == 0
    # Renewing tells which messages are still ours: b took the released one.
    renewed = storage.renew_lease([one.id, two.id], owner="a", lease_until=later)
    assert renewed == {one.id}


def test_deferred_and_failed_messages(storage: Storage) -> None:
    storage.enqueue_messages([message("soft"), message("hard")], now=NOW)
    lease = NOW + timedelta(seconds=30)
    soft, hard = storage.claim_messages(owner="a", now=NOW, lease_until=lease, limit=10)
    until = NOW + timedelta(minutes=2)
    storage.defer_message(soft.id, owner="a", until=until, error="451 later", hard=False)
    storage.defer_message(hard.id, owner="a", until=NOW, error="550 no " + TRICKY, hard=True)

    assert storage.next_message_due() == NOW
    (again,) = storage.claim_messages(owner="a", now=NOW, lease_until=lease, limit=10)
    assert again.id == hard.id and again.attempts == 1 and again.hard_failures == 1
    storage.fail_message(hard.id, owner="a", error="550 no", hard=True)

    assert storage.claim_messages(owner="a", now=until, lease_until=lease, limit=10)[0].id == (
        soft.id
    )
    assert storage.outbox_counts() == {"pending": 1, "failed": 1}


def test_cancelling_a_subscribers_mail_leaves_others(storage: Storage) -> None:
    one, two = add(storage, subscriber("one@example.org"), subscriber("two@example.org"))
    storage.enqueue_messages(
        [
            message("a", subscriber_id=one.id),
            message("b", subscriber_id=one.id),
            message("c", subscriber_id=two.id),
        ],
        now=NOW,
    )

    assert storage.cancel_messages(one.id or 0) == 2
    assert storage.outbox_counts() == {"pending": 1, "cancelled": 2}
    assert storage.next_message_due() == NOW


def test_workers_claiming_at_once_never_share_a_message(storage: Storage) -> None:
    storage.enqueue_messages([message(f"m{n:03d}") for n in range(120)], now=NOW)
    workers = 4
    barrier = Barrier(workers)

    def drain(name: str) -> list[int]:
        barrier.wait()
        taken: list[int] = []
        try:
            while batch := storage.claim_messages(
                owner=name, now=NOW, lease_until=NOW + timedelta(minutes=5), limit=7
            ):
                taken += [item.id for item in batch]
        finally:
            storage.close()
        return taken

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(drain, [f"w{n}" for n in range(workers)]))

    everything = [paper for taken in results for paper in taken]
    assert len(everything) == 120 == len(set(everything))


def test_old_finished_mail_and_old_digests_are_forgotten(storage: Storage) -> None:
    (one,) = add(storage, subscriber("one@example.org"))
    storage.enqueue_messages([message("old-sent"), message("old-pending")], now=NOW)
    storage.enqueue_messages([message("new-sent")], now=NOW + timedelta(days=40))
    lease = NOW + timedelta(days=41)
    for item in storage.claim_messages(owner="a", now=lease, lease_until=lease, limit=10):
        if item.data != message("old-pending").data:
            storage.mark_sent(item.id, owner="a", now=lease)
    storage.save_digests(
        [
            ComposedDigest(one.id or 0, parse_day("2026-11-24"), ("2411.00001",), None),
            ComposedDigest(one.id or 0, parse_day("2027-01-04"), ("2411.00002",), None),
        ],
        [],
        now=NOW,
    )

    forgotten = storage.forget_old_mail(
        done_before=NOW + timedelta(days=30), periods_before=date(2026, 12, 25)
    )

    assert forgotten == 2
    assert storage.outbox_counts() == {"sent": 1, "pending": 1}
    kept = storage.papers_already_sent([one.id or 0], start=date(2026, 1, 1), end=date(2028, 1, 1))
    assert kept == {one.id: {"2411.00002"}}
