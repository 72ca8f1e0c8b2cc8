"""The worker's mail jobs: compose digests on schedule, send the outbox, forget stale sign-ups."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dailypapers.domain.digests import period_due
from dailypapers.domain.subscriptions import Frequency
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.digests import compose_digests
from dailypapers.services.outbox import (
    ServerBackoff,
    deliver_outbox,
    forget_old_mail,
    worker_name,
)
from dailypapers.services.subscriptions import expire_unconfirmed, links_for
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import Storage
from dailypapers.worker.runner import Job, RunLater, cron, every

log = logging.getLogger("dailypapers.mail")

DELIVERY_RUN_S = 60.0  # one outbox run sends for at most this long, so other jobs get a turn
UPKEEP_INTERVAL_S = 3600.0


def digest_jobs(
    *, settings: Settings, storage: Storage, clock: Callable[[], datetime]
) -> list[Job]:
    """Return the jobs of digests and the outbox."""
    links = links_for(settings, load_secret_key(settings))
    owner = worker_name()
    zone = ZoneInfo(settings.schedule_timezone)

    def compose(frequency: Frequency) -> Callable[[datetime], str]:
        """Return the job that composes the digest of this frequency due at a slot."""

        def run(slot: datetime) -> str:
            """Compose the period due on the slot's day (a run taken over late: that day's)."""
            period = period_due(frequency, slot.astimezone(zone).date())
            report = compose_digests(
                storage=storage,
                settings=settings,
                links=links,
                period=period,
                now=clock(),
                owner=owner,
            )
            if report.busy_until is not None:
                # Another composer holds the period (a worker that died, until its lease
                # lapses): this slot is not done until every reader has a digest.
                raise RunLater(report.busy_until, report.summary())
            return report.summary()

        return run

    def upkeep(slot: datetime) -> str:
        """Forget the subscriptions never confirmed in time, and old finished mail."""
        forgotten = expire_unconfirmed(storage=storage, settings=settings, now=clock())
        old = forget_old_mail(storage=storage, now=clock())
        return f"{forgotten} unconfirmed subscriptions and {old} old mail records forgotten"

    timezone = settings.schedule_timezone
    return [
        Job(
            "daily digest", cron(settings.digest_daily_schedule, timezone), compose(Frequency.DAILY)
        ),
        Job(
            "weekly digest",
            cron(settings.digest_weekly_schedule, timezone),
            compose(Frequency.WEEKLY),
        ),
        outbox_job(settings=settings, storage=storage, clock=clock, owner=owner),
        Job("mail upkeep", every(UPKEEP_INTERVAL_S), upkeep),
    ]


def outbox_job(
    *, settings: Settings, storage: Storage, clock: Callable[[], datetime], owner: str
) -> Job:
    """Return the job that sends what is due in the outbox (the worker's, and serve's)."""
    backoff = ServerBackoff(first=timedelta(seconds=settings.mail_retry_s))

    def send(slot: datetime) -> str:
        """Send what is due in the outbox, unless the server is being left alone."""
        if backoff.waiting(clock()):
            return ""  # the last run logged the failure; the pause is quiet
        with SmtpSender(settings) as sender:
            report = deliver_outbox(
                storage=storage,
                sender=sender,
                settings=settings,
                owner=owner,
                clock=clock,
                time_limit_s=DELIVERY_RUN_S,
            )
        backoff.record(report, clock())
        if report.server_error:
            # A warning, so that `serve` (which shows no routine lines) tells the operator too.
            log.warning(
                "mail is not going out: %s (kept in the outbox, retried)", report.server_error
            )
        idle = not (report.sent or report.deferred or report.failed or report.server_error)
        return "" if idle else report.summary()

    # Not exclusive: the outbox leases each message, so workers send side by side.
    return Job("outbox", every(settings.mail_poll_s), send, polls=True, exclusive=False)
