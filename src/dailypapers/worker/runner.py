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
    # Does the work due at a slot (the moment it fell due); returns a one-line summary for
    # the log. A run taken over from a worker that died gets the slot that worker had.
    run: Callable[[datetime], str]
    # A job that polls every few seconds logs its start and schedule at DEBUG, and its
    # summary at INFO only when it did something (a non-empty summary). (issue 6: outbox)
    polls: bool = False
    # Whether two workers must not run it at once (see worker/leases.py). The outbox is not:
    # it leases each message itself, so several workers send side by side.
    exclusive: bool = True


class RunLater(Exception):
    """Raised by a job that cannot do its slot's work yet: try the same slot again at `at`."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at


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

    With `leases`, an exclusive job's slot runs in one worker of all that share the database,
    and a run that a stopped worker left unfinished is the first this one takes up.
    """
    if once:
        now = clock()
        for job in jobs:
            _run_logged(job, now)
        return
    now = clock()
    slots = {job.name: _first_slot(job, now, leases) for job in jobs}  # the run each waits for
    due = dict(slots)  # when to try it: its slot, or when another worker's lease lapses
    for job in jobs:
        log.info("%s: next run at %s", job.name, due[job.name].isoformat())
    while not stop.is_set():
        now = clock()
        for job in jobs:
            if due[job.name] <= now:
                slot = slots[job.name]
                if leases is None or not job.exclusive:
                    retry = _run_logged(job, slot)
                else:
                    retry = leases.run(job.name, slot, functools.partial(_run_logged, job))
                if retry is not None:
                    due[job.name] = retry
                    continue
                slots[job.name] = due[job.name] = job.next_run(max(clock(), slots[job.name]))
                log.log(_routine(job), "%s: next run at %s", job.name, due[job.name].isoformat())
        wait = min((moment - clock()).total_seconds() for moment in due.values()) if due else 60
        stop.wait(timeout=min(max(wait, 0.05), 60))


def _first_slot(job: Job, now: datetime, leases: JobLeases | None) -> datetime:
    """Return the run a job waits for first: one a stopped worker left unfinished, or the next."""
    if leases is not None and job.exclusive:
        unfinished = leases.unfinished_slot(job.name)
        if unfinished is not None:
            log.info("%s: taking up the run due at %s", job.name, unfinished.isoformat())
            return unfinished
    return job.next_run(now)


def _run_logged(job: Job, slot: datetime) -> datetime | None:
    """Run one job's slot; return when to try it again, if the job asked to be.

    A failure is logged and the worker carries on (the slot counts as run).
    """
    log.log(_routine(job), "%s: started", job.name)
    try:
        summary = job.run(slot)
    except RunLater as later:
        log.info("%s: %s; trying again at %s", job.name, later, later.at.isoformat())
        return later.at
    except Exception:
        log.exception("%s: failed", job.name)
    else:
        log.log(logging.INFO if summary else logging.DEBUG, "%s: %s", job.name, summary)
    return None


def _routine(job: Job) -> int:
    """Return the level of a job's routine lines: DEBUG for polling jobs, else INFO."""
    return logging.DEBUG if job.polls else logging.INFO
