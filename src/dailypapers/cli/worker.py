"""Run the background worker: scheduled pulls and the other jobs, logged."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime

import click

from dailypapers.cli.context import load_settings, open_configured_storage, polite_fetcher
from dailypapers.services.outbox import worker_name
from dailypapers.worker.jobs import build_jobs
from dailypapers.worker.leases import JobLeases
from dailypapers.worker.metrics import serve_job_metrics
from dailypapers.worker.runner import run_jobs


@click.command()
@click.option("--once", is_flag=True, help="Run every job once now, then exit.")
def worker(once: bool) -> None:
    """Run the scheduled jobs (DAILYPAPERS_INGEST_SCHEDULE and others) until stopped."""
    from dailypapers.web.operations.logs import configure_logging  # loads the web: late

    settings = load_settings()
    configure_logging(settings, level=logging.INFO)
    storage = open_configured_storage(settings)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda number, frame: stop.set())
    with polite_fetcher(settings, delay_s=settings.arxiv_delay_s) as arxiv_fetcher:
        jobs = build_jobs(
            settings=settings,
            storage=storage,
            arxiv_fetcher=arxiv_fetcher,
            clock=lambda: datetime.now(UTC),
        )
        if settings.worker_metrics_port:  # operations: jobs run and failed, for Prometheus
            jobs = serve_job_metrics(port=settings.worker_metrics_port, storage=storage, jobs=jobs)
        logging.getLogger("dailypapers.worker").info(
            "worker started with %s", ", ".join(job.name for job in jobs)
        )
        # Several workers may share the database: each run of a job happens in one of them.
        leases = JobLeases(
            storage=storage,
            owner=worker_name(),
            lease_s=settings.job_lease_s,
            clock=lambda: datetime.now(UTC),
        )
        run_jobs(jobs, clock=lambda: datetime.now(UTC), stop=stop, once=once, leases=leases)


COMMANDS = [worker]
