"""Sending the outbox to a real SMTP server: once each, through outages, refusals and bounces."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.domain.periods import parse_day
from dailypapers.domain.subscriptions import SubscriberStatus
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.digests import compose_digests
from dailypapers.services.outbox import DeliveryReport, ServerBackoff, deliver_outbox
from dailypapers.settings import Settings
from dailypapers.storage import Storage

from support.digests import DAY, NOW, Clock, add_reader, links, mail_settings
from support.smtp_server import SmtpServer, smtp_server


def fill_outbox(storage: Storage, count: int, settings: Settings) -> list[str]:
    """Compose DAY's digest for `count` readers; return their addresses."""
    addresses = [f"reader{n:03d}@example.org" for n in range(count)]
    for address in addresses:
        add_reader(storage, address)
    report = compose_digests(
        storage=storage,
        settings=settings,
        links=links(settings),
        period=parse_day(DAY),
        now=NOW,
        owner="composer",
    )
    assert report.composed == count
    return addresses


def deliver(storage: Storage, settings: Settings, clock: Clock) -> DeliveryReport:
    """Run one delivery through the configured server."""
    with SmtpSender(settings) as sender:
        return deliver_outbox(
            storage=storage, sender=sender, settings=settings, owner="worker", clock=clock
        )


def received_by(server: SmtpServer) -> Counter[str]:
    """Count the messages each address received."""
    return Counter(item.recipients[0] for item in server.received)


def test_every_message_is_delivered_once_and_marked_sent(loaded_storage: Storage) -> None:
    with smtp_server() as server:
        settings = mail_settings(server, mail_batch_size=4)
        addresses = fill_outbox(loaded_storage, 10, settings)
        report = deliver(loaded_storage, settings, Clock())
        again = deliver(loaded_storage, settings, Clock())

    assert report.sent == 10 and again.sent == 0
    assert received_by(server) == Counter(addresses)
    assert loaded_storage.outbox_counts() == {"sent": 10}
    assert {item.sender for item in server.received} == {"papers@example.org"}


def test_a_server_down_for_the_first_attempts_gets_every_message_once(
    loaded_storage: Storage,
) -> None:
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server, mail_batch_size=5, mail_retry_s=60.0)
        addresses = fill_outbox(loaded_storage, 12, settings)
        server.stop()
        backoff = ServerBackoff(timedelta(seconds=60))

        first = deliver(loaded_storage, settings, clock)
        failed_at = clock()
        backoff.record(first, failed_at)
        assert backoff.waiting(failed_at)
        assert backoff.waiting(failed_at + timedelta(seconds=59))
        assert not backoff.waiting(failed_at + timedelta(seconds=60))
        second = deliver(loaded_storage, settings, clock)  # the rest, into the same outage
        clock.advance(seconds=61)
        third = deliver(loaded_storage, settings, clock)
        backoff.record(third, clock())  # the second failure in a row: twice the pause
        assert backoff.waiting(clock() + timedelta(seconds=119))
        assert not backoff.waiting(clock() + timedelta(seconds=120))

        server.start()
        clock.advance(seconds=121)
        assert not backoff.waiting(clock())
        final = deliver(loaded_storage, settings, clock)
        backoff.record(final, clock())
        assert not backoff.waiting(clock())

    assert first.server_error and "cannot connect" in first.server_error
    assert (first.deferred, second.deferred, third.deferred) == (5, 5, 5)
    assert final.sent == 12 and final.server_error is None
    assert received_by(server) == Counter(addresses)
    assert loaded_storage.outbox_counts() == {"sent": 12}


def test_the_server_pause_doubles_with_each_failure_and_a_success_ends_it() -> None:
    backoff = ServerBackoff(timedelta(seconds=60))
    down = DeliveryReport(server_error="cannot connect to the mail server")
    second = timedelta(seconds=1)
    t = NOW
    assert not backoff.waiting(t)

    backoff.record(down, t)
    assert backoff.waiting(t) and backoff.waiting(t + 59 * second)
    assert not backoff.waiting(t + 60 * second)

    backoff.record(down, t + 60 * second)  # a second failure: 120 s from then
    assert backoff.waiting(t + 179 * second)
    assert not backoff.waiting(t + 180 * second)

    backoff.record(DeliveryReport(sent=1), t + 100 * second)  # a success, mid-pause
    assert not backoff.waiting(t + 100 * second)
    backoff.record(down, t + 200 * second)  # the next failure starts over at 60 s
    assert backoff.waiting(t + 259 * second)
    assert not backoff.waiting(t + 260 * second)


def test_backoff_doubles_for_each_failed_try(storage: Storage) -> None:
    settings = mail_settings(smtp_port=1, mail_retry_s=60.0)  # nothing listens on port 1
    storage.enqueue_messages(
        [OutgoingMessage(MessageKind.NOTICE, "n", "a@example.org", "b@example.org", b"x\r\n")],
        now=NOW,
    )
    clock = Clock()
    waits = []
    for _ in range(4):
        deliver(storage, settings, clock)
        due = storage.next_message_due()
        assert due is not None
        waits.append((due - clock()).total_seconds())
        clock.now = due

    assert waits == [60, 120, 240, 480]


def test_a_recipient_put_off_is_retried_while_the_others_go(loaded_storage: Storage) -> None:
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server)
        addresses = fill_outbox(loaded_storage, 3, settings)
        server.refusals[addresses[1]] = "450 4.2.1 mailbox busy"
        first = deliver(loaded_storage, settings, clock)
        del server.refusals[addresses[1]]
        clock.advance(seconds=59)
        early = deliver(loaded_storage, settings, clock)
        clock.advance(seconds=1)
        later = deliver(loaded_storage, settings, clock)

    assert (first.sent, first.deferred, early.sent, later.sent) == (2, 1, 0, 1)
    assert received_by(server) == Counter(addresses)


def test_an_address_refused_for_good_bounces_after_n_tries(loaded_storage: Storage) -> None:
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server, mail_bounce_after=3)
        addresses = fill_outbox(loaded_storage, 2, settings)
        server.refusals[addresses[0]] = "550 5.1.1 no such mailbox"
        reports = []
        for _ in range(3):
            reports.append(deliver(loaded_storage, settings, clock))
            clock.advance(hours=7)

    assert [(r.deferred, r.failed, r.bounced) for r in reports] == [(1, 0, 0), (1, 0, 0), (0, 1, 1)]
    gone = loaded_storage.find_subscriber(addresses[0])
    assert gone is not None and gone.status is SubscriberStatus.BOUNCING
    assert received_by(server) == Counter([addresses[1]])
    assert loaded_storage.outbox_counts() == {"sent": 1, "failed": 1}
    # A bouncing address is left out of the next digests.
    next_day = compose_digests(
        storage=loaded_storage,
        settings=settings,
        links=links(settings),
        period=parse_day("2026-08-21"),
        now=NOW,
        owner="composer",
    )
    assert next_day.composed == 1


def test_a_message_put_off_for_too_long_fails(loaded_storage: Storage) -> None:
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server, mail_give_up_s=3600.0)
        (address,) = fill_outbox(loaded_storage, 1, settings)
        server.refusals[address] = "451 4.3.0 try again"
        first = deliver(loaded_storage, settings, clock)
        clock.advance(hours=1)
        last = deliver(loaded_storage, settings, clock)

    assert (first.deferred, last.failed) == (1, 1)
    assert loaded_storage.outbox_counts() == {"failed": 1}
    subscriber = loaded_storage.find_subscriber(address)
    assert subscriber is not None and subscriber.status is SubscriberStatus.CONFIRMED


def test_a_refused_login_puts_everything_off_and_marks_nobody(loaded_storage: Storage) -> None:
    with smtp_server(credentials=("mailer", "right")) as server:
        settings = mail_settings(server, smtp_user="mailer", smtp_password="wrong")
        fill_outbox(loaded_storage, 3, settings)
        report = deliver(loaded_storage, settings, Clock())

    assert report.server_error and "refused the login" in report.server_error
    assert report.deferred == 3 and report.failed == 0
    assert loaded_storage.subscriber_counts() == {"confirmed": 3}


def test_a_worker_that_dies_leaves_its_messages_to_another_after_the_lease(
    loaded_storage: Storage,
) -> None:
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server, mail_lease_s=30.0)
        addresses = fill_outbox(loaded_storage, 4, settings)
        # A worker takes the messages and dies before sending any.
        loaded_storage.claim_messages(
            owner="dead", now=clock(), lease_until=clock() + timedelta(seconds=30), limit=10
        )
        assert deliver(loaded_storage, settings, clock).sent == 0
        clock.advance(seconds=31)
        report = deliver(loaded_storage, settings, clock)

    assert report.sent == 4
    assert received_by(server) == Counter(addresses)


def test_a_worker_that_stalled_past_its_lease_sends_none_of_what_another_took_over(
    loaded_storage: Storage,
) -> None:
    """A sender paused longer than its lease: the rest of its batch goes to the other only."""
    clock = Clock()
    with smtp_server() as server:
        settings = mail_settings(server, mail_batch_size=5)
        addresses = fill_outbox(loaded_storage, 5, settings)
        taken_over: list[DeliveryReport] = []

        def stall_after_the_first(count: int) -> None:
            if taken_over:
                return
            # The first worker stalls (a paused VM, a slow disk) until its lease lapsed and
            # another worker took the rest of its batch and sent it.
            clock.advance(seconds=settings.mail_lease_s + 1)
            with SmtpSender(settings) as other_sender:
                taken_over.append(
                    deliver_outbox(
                        storage=loaded_storage,
                        sender=other_sender,
                        settings=settings,
                        owner="other",
                        clock=clock,
                    )
                )

        with SmtpSender(settings) as sender:
            stalled = deliver_outbox(
                storage=loaded_storage,
                sender=sender,
                settings=settings,
                owner="stalled",
                clock=clock,
                on_sent=stall_after_the_first,
            )

    assert stalled.sent == 1 and taken_over[0].sent == 4
    assert received_by(server) == Counter(addresses)  # each reader once
    assert loaded_storage.outbox_counts() == {"sent": 5}
