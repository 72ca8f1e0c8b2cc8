"""The jobs the worker runs, built from the settings: each feature adds its own here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from dailypapers.services.arxiv import pull_categories
from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage import Storage
from dailypapers.worker.runner import Job, cron

log = logging.getLogger("dailypapers.worker")


def build_jobs(
    *,
    settings: Settings,
    storage: Storage,
    arxiv_fetcher: PoliteFetcher,
    clock: Callable[[], datetime],
) -> list[Job]:
    """Return the jobs the settings ask for."""
    jobs = []
    categories = settings.categories
    if categories:

        def pull() -> str:
            report = pull_categories(
                storage=storage,
                fetcher=arxiv_fetcher,
                api_url=settings.arxiv_api_url,
                categories=categories,
                since=None,
                page_size=settings.arxiv_page_size,
                now=clock,
                on_invalid=_warn,
            )
            return f"{', '.join(categories)}: {report.summary()}"

        jobs.append(
            Job("arxiv pull", cron(settings.ingest_schedule, settings.schedule_timezone), pull)
        )
    return jobs


def _warn(problem: InvalidRecord) -> None:
    log.warning("skipped: %s", problem.describe())
