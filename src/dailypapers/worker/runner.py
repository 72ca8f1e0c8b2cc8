"""Run jobs when they fall due, log what each did, and stop cleanly on request."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter

if TYPE_CHECKING:
    from dailypapers.worker.leases import JobLeases

log = logging.getLogger("dailypapers.worker")

NextRun = Callable[[datetime], datetime]


@dataclass(frozen=True)
class Job:
    """A named piece of work and when it next falls due after a given moment."""

    name: str
    next_run: NextRun
    run: Callable[[], str]  # does the work; returns a one-line summary for the log
    # A job that polls every few seconds logs its start and schedule at DEBUG, and its
    # summary at INFO only when it did something (a non-empty summary). (issue 6: outbox)
    polls: bool = False
    # Whether two workers must not run it at once (see worker/leases.py). The outbox is not:
    # it leases each message itself, so several workers send side by side.
    exclusive: bool = True


def cron(expression: str, time_zone: str) -> NextRun:
    """Return a schedule from a cron expression read in the time zone."""
    if not croniter.is_valid(expression):
        raise ValueError(f"not a cron expression: {expression!r}")
    zone = ZoneInfo(time_zone)

    def next_run(after: datetime) -> datetime:
        following: datetime = croniter(expression, after.astimezone(zone)).get_next(datetime)
        return following

    return next_run


def every(seconds: float) -> NextRun:
    """Return a schedule that falls due every so many seconds, counted from 1970.

    Counting from a fixed origin rather than from the worker's start gives every worker
    the same slots, so that they can agree on who runs which.
    """

    def next_run(after: datetime) -> datetime:
        count = int(after.timestamp() // seconds) + 1
        return datetime.fromtimestamp(count * seconds, UTC)

    return next_run


def run_jobs(
    jobs: Sequence[Job],
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
    once: bool = False,
    leases: JobLeases | None = None,
) -> None:
    """Run each job at its times until `stop` is set; with `once`, run each once now.

    With `leases`, an exclusive job's slot runs in one worker of all that share the database.
    """
    if once:
        for job in jobs:
            _run_logged(job)
        return
    now = clock()
    slots = {job.name: job.next_run(now) for job in jobs}  # the run each job waits for
    due = dict(slots)  # when to try it: its slot, or when another worker's lease lapses
    for job in jobs:
        log.info("%s: next run at %s", job.name, due[job.name].isoformat())
    while not stop.is_set():
        now = clock()
        for job in jobs:
            if due[job.name] <= now:
                retry = None
                if leases is None or not job.exclusive:
                    _run_logged(job)
                else:
                    retry = leases.run(
                        job.name, slots[job.name], functools.partial(_run_logged, job)
                    )
                if retry is not None:
                    due[job.name] = retry
                    continue
                slots[job.name] = due[job.name] = job.next_run(max(clock(), slots[job.name]))
                log.log(_routine(job), "%s: next run at %s", job.name, due[job.name].isoformat())
        wait = min((moment - clock()).total_seconds() for moment in due.values()) if due else 60
        stop.wait(timeout=min(max(wait, 0.05), 60))


def _run_logged(job: Job) -> None:
    """Run one job; a failure is logged and the worker carries on."""
    log.log(_routine(job), "%s: started", job.name)
    try:
        summary = job.run()
    except Exception:
        log.exception("%s: failed", job.name)
    else:
        log.log(logging.INFO if summary else logging.DEBUG, "%s: %s", job.name, summary)


def _routine(job: Job) -> int:
    """Return the level of a job's routine lines: DEBUG for polling jobs, else INFO."""
    return logging.DEBUG if job.polls else logging.INFO
