"""Send what waits in the outbox: leased in batches, each message marked sent the moment it went.

Exactly once, as far as SMTP allows: a message is marked sent right after the server's
250 and before the next message starts, so a worker killed at any point leaves every
message either marked sent or still pending under a lease that lapses. A worker that
stalls past its lease finds out when it renews, and leaves what another worker took. Only
a kill in the instant between the server's 250 and that write can repeat a message; RFC
1047 describes the same window from the server's side.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from dailypapers.domain.outbox import OutboxItem, retry_delay
from dailypapers.domain.subscriptions import SubscriberStatus
from dailypapers.mail.smtp import (
    MailServerError,
    PermanentMailError,
    TemporaryMailError,
)
from dailypapers.services.subscriptions import change_status
from dailypapers.settings import Settings
from dailypapers.storage.base import Storage
from dailypapers.storage.digests_protocol import DigestStore

log = logging.getLogger("dailypapers.mail")
MAIL_MEMORY = timedelta(days=30)


class MailSender(Protocol):
    """Something that hands messages to a mail server: SmtpSender, or a test's stand-in."""

    def send(self, *, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Hand one message over; raise a MailError saying why not."""
        ...


def worker_name() -> str:
    """Return a name for this process's leases: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    deferred: int = 0  # put off: the server said not now, or could not be reached
    failed: int = 0  # given up: refused for good, or put off for too long
    bounced: int = 0  # addresses marked as bouncing
    lost: int = 0  # sent after our lease lapsed: another worker may send them too
    server_error: str | None = None  # why the run stopped early, if the server failed

    def summary(self) -> str:
        """Return a one-line account for logs and the command line."""
        text = f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed"
        if self.bounced:
            text += f", {self.bounced} addresses now bouncing"
        if self.lost:
            text += f", {self.lost} sent after their lease lapsed"
        if self.server_error:
            text += f"; stopped: {self.server_error}"
        return text


def deliver_outbox(
    *,
    storage: Storage,
    sender: MailSender,
    settings: Settings,
    owner: str,
    clock: Callable[[], datetime],
    time_limit_s: float | None = None,
    on_sent: Callable[[int], None] = lambda count: None,
) -> DeliveryReport:
    """Send the messages that are due, batch by batch, until none is left or time is up.

    A server failure (no connection, refused login) puts off the whole batch and ends
    the run: trying each message against a server that is down helps nobody.
    """
    report = DeliveryReport()
    lease = timedelta(seconds=settings.mail_lease_s)
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
    while deadline is None or time.monotonic() < deadline:
        now = clock()
        batch = storage.claim_messages(
            owner=owner, now=now, lease_until=now + lease, limit=settings.mail_batch_size
        )
        if not batch:
            break
        renew_at = now + lease / 2
        held = {item.id for item in batch}
        for index, item in enumerate(batch):
            if deadline is not None and time.monotonic() >= deadline:
                storage.release_messages([rest.id for rest in batch[index:]], owner=owner)
                return report
            if clock() >= renew_at:
                now = clock()
                held = storage.renew_lease(
                    [rest.id for rest in batch[index:]], owner=owner, lease_until=now + lease
                )
                renew_at = now + lease / 2
            if item.id not in held:
                # Our lease lapsed (a long stall) and another worker took the message: it
                # sends it, and sending it here too would be the repeat the lease prevents.
                log.warning("message %s went to another worker while this one stalled", item.id)
                continue
            try:
                sender.send(sender=item.sender, recipients=[item.recipient], message=item.data)
            except MailServerError as error:
                report.server_error = error.detail
                for rest in batch[index:]:
                    _put_off(storage, settings, owner, rest, error.detail, report, clock())
                return report
            except PermanentMailError as error:
                _refused(storage, settings, owner, item, error.detail, report, clock())
            except TemporaryMailError as error:
                _put_off(storage, settings, owner, item, error.detail, report, clock())
            else:
                if storage.mark_sent(item.id, owner=owner, now=clock()):
                    report.sent += 1
                else:
                    report.lost += 1
                    log.error("message %s was sent after its lease lapsed", item.id)
                on_sent(1)
    return report


def _put_off(
    storage: DigestStore,
    settings: Settings,
    owner: str,
    item: OutboxItem,
    error: str,
    report: DeliveryReport,
    now: datetime,
) -> None:
    """Retry later with exponential backoff, or give up on a message put off for too long."""
    if now - item.created_at >= timedelta(seconds=settings.mail_give_up_s):
        storage.fail_message(item.id, owner=owner, error=f"gave up: {error}", hard=False)
        report.failed += 1
        return
    delay = retry_delay(item.attempts + 1, first=timedelta(seconds=settings.mail_retry_s))
    storage.defer_message(item.id, owner=owner, until=now + delay, error=error, hard=False)
    report.deferred += 1


def _refused(
    storage: Storage,
    settings: Settings,
    owner: str,
    item: OutboxItem,
    error: str,
    report: DeliveryReport,
    now: datetime,
) -> None:
    """Retry a refused message a few times, then fail it and mark its address as bouncing."""
    if item.hard_failures + 1 < settings.mail_bounce_after:
        delay = retry_delay(item.attempts + 1, first=timedelta(seconds=settings.mail_retry_s))
        storage.defer_message(item.id, owner=owner, until=now + delay, error=error, hard=True)
        report.deferred += 1
        return
    with storage.transaction():
        storage.fail_message(item.id, owner=owner, error=error, hard=True)
        report.failed += 1
        subscriber = storage.get_subscriber(item.subscriber_id) if item.subscriber_id else None
        if subscriber and subscriber.status is not SubscriberStatus.BOUNCING:
            assert subscriber.id is not None
            storage.cancel_messages(subscriber.id)
            change_status(
                storage=storage, subscriber=subscriber, status=SubscriberStatus.BOUNCING, now=now
            )
            report.bounced += 1
            log.warning("%s bounces (%s): no more mail goes to it", item.recipient, error)


def forget_old_mail(*, storage: DigestStore, now: datetime) -> int:
    """Delete what mail no longer needs: finished messages and digests past MAIL_MEMORY.

    A digest's papers are kept only while a later digest could overlap its period (a
    week at most), so that nothing is sent twice; a month is ample.
    """
    return storage.forget_old_mail(
        done_before=now - MAIL_MEMORY, periods_before=(now - MAIL_MEMORY).date()
    )


class ServerBackoff:
    """Remember that the mail server is failing, and how long to leave it alone."""

    def __init__(self, first: timedelta) -> None:
        self.first = first
        self.failures = 0
        self.until: datetime | None = None

    def waiting(self, now: datetime) -> bool:
        """Return whether the server should be left alone for now."""
        return self.until is not None and now < self.until

    def record(self, report: DeliveryReport, now: datetime) -> None:
        """Note how a run went: a server failure doubles the pause, anything else ends it."""
        if report.server_error:
            self.failures += 1
            self.until = now + retry_delay(self.failures, first=self.first)
        else:
            self.failures, self.until = 0, None
