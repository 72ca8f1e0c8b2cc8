"""Run jobs when they fall due, log what each did, and stop cleanly on request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

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
    """Return a schedule that falls due every so many seconds."""
    return lambda after: after + timedelta(seconds=seconds)


def run_jobs(
    jobs: Sequence[Job],
    *,
    clock: Callable[[], datetime],
    stop: threading.Event,
    once: bool = False,
) -> None:
    """Run each job at its times until `stop` is set; with `once`, run each once now."""
    if once:
        for job in jobs:
            _run_logged(job)
        return
    now = clock()
    due = {job.name: job.next_run(now) for job in jobs}
    for job in jobs:
        log.info("%s: next run at %s", job.name, due[job.name].isoformat())
    while not stop.is_set():
        now = clock()
        for job in jobs:
            if due[job.name] <= now:
                _run_logged(job)
                due[job.name] = job.next_run(clock())
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
