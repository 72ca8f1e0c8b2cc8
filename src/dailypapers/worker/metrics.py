"""The worker's Prometheus metrics: jobs run and failed, and the database's gauges."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from prometheus_client import Counter, start_http_server

from dailypapers.services.site_metrics import multiprocess, process_registry
from dailypapers.storage import Storage
from dailypapers.worker.runner import Job, RunLater


def serve_job_metrics(*, port: int, storage: Storage, jobs: Sequence[Job]) -> list[Job]:
    """Serve metrics on 127.0.0.1:port; return the jobs, counting how each run ends."""
    registry = process_registry(storage)
    runs = Counter(
        "dailypapers_jobs",
        "Job runs by job and outcome (done or failed).",
        ["job", "outcome"],
        registry=None if multiprocess() else registry,
    )
    start_http_server(port, addr="127.0.0.1", registry=registry)
    return [dataclasses.replace(job, run=_counted(job, runs)) for job in jobs]


def _counted(job: Job, runs: Counter) -> Callable[[datetime], str]:
    def run(slot: datetime) -> str:
        try:
            summary = job.run(slot)
        except RunLater:  # neither done nor failed: the slot is tried again
            raise
        except Exception:
            runs.labels(job.name, "failed").inc()
            raise
        runs.labels(job.name, "done").inc()
        return summary

    return run
