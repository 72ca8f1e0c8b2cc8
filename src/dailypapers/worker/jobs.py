"""The jobs the worker runs, built from the settings: each feature adds its own here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from dailypapers.services.arxiv import pull_categories
from dailypapers.services.outbox import worker_name
from dailypapers.services.semantic_index import DocumentEmbedder, embed_missing, indexing_progress
from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage import Storage
from dailypapers.worker.digest_jobs import digest_jobs
from dailypapers.worker.leases import JobLeases
from dailypapers.worker.recommendation_jobs import recommendation_job
from dailypapers.worker.runner import Job, cron, every, run_jobs

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

        def pull(slot: datetime) -> str:
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
    index_job = semantic_index_job(settings=settings, storage=storage)
    if index_job is not None:
        jobs.append(index_job)
    jobs += digest_jobs(settings=settings, storage=storage, clock=clock)  # digests (issue 6)
    refit_job = recommendation_job(settings=settings, storage=storage, clock=clock)  # For you
    if refit_job is not None:
        jobs.append(refit_job)
    return jobs


# -- search (issue 4): index the words of changed papers, embed those without vectors --


def semantic_index_job(
    *,
    settings: Settings,
    storage: Storage,
    load_embedder: Callable[[], DocumentEmbedder] | None = None,
) -> Job | None:
    """Return the job that keeps the search indexes up to date (None if the settings say so).

    It catches up the word index (searches would, but a search should not wait for it),
    then embeds papers without vectors.
    """
    if settings.search_index_interval_s <= 0:
        return None
    loaded: list[DocumentEmbedder] = []
    backlog = [False]  # the last run embedded papers, so more may be waiting

    def index(slot: datetime) -> str:
        words = storage.refresh_word_index()
        if not loaded:  # the model loads once, on the first run, not when the worker starts
            loaded.append((load_embedder or _default_embedder)())
        done = embed_missing(
            storage=storage, embedder=loaded[0], max_seconds=settings.search_index_seconds
        )
        backlog[0] = done > 0
        if not (words or done):
            return ""  # nothing new: counting a large site's papers is not free
        progress = indexing_progress(storage=storage, model=loaded[0].model_name)
        return (
            f"words of {words} changed paper(s) indexed; embedded {done};"
            f" {progress.embedded} of {progress.total} papers have vectors"
        )

    interval = every(settings.search_index_interval_s)

    def next_run(after: datetime) -> datetime:
        # A run yields after search_index_seconds so other jobs get their turn; with papers
        # still waiting it falls due again at once, so a new site is searchable by meaning
        # in the time embedding takes rather than several times that.
        return after if backlog[0] else interval(after)

    return Job("search index", next_run, index, polls=True)


def index_in_background(
    settings: Settings, storage: Storage, *, load_embedder: Callable[[], DocumentEmbedder]
) -> threading.Thread | None:
    """Run the search indexing job on a daemon thread (for `dailypapers serve`)."""
    job = semantic_index_job(settings=settings, storage=storage, load_embedder=load_embedder)
    if job is None:
        return None
    # Jobs fall due one interval after they start: a new site should not wait for the first.
    started: list[bool] = []

    def at_once_then_on_schedule(after: datetime) -> datetime:
        if started:
            return job.next_run(after)
        started.append(True)
        return after

    # Leased like a worker's jobs: with a worker (or other servers) on the same database,
    # each batch of papers is embedded by one of them.
    leases = JobLeases(
        storage=storage,
        owner=worker_name(),
        lease_s=settings.job_lease_s,
        clock=lambda: datetime.now(UTC),
    )
    thread = threading.Thread(
        target=run_jobs,
        args=([Job(job.name, at_once_then_on_schedule, job.run)],),
        kwargs={"clock": lambda: datetime.now(UTC), "stop": threading.Event(), "leases": leases},
        name="search-index",
        daemon=True,
    )
    thread.start()
    return thread


def _default_embedder() -> DocumentEmbedder:
    from dailypapers.search.embedder import default_embedder

    return default_embedder()


def _warn(problem: InvalidRecord) -> None:
    log.warning("skipped: %s", problem.describe())
