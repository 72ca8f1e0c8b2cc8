"""The background refit of For you models, in the worker and beside `dailypapers serve`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from dailypapers.services.recommendations import refit_stale_models
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.worker.runner import Job, every, run_jobs


def recommendation_job(
    *, settings: Settings, storage: Storage, clock: Callable[[], datetime]
) -> Job | None:
    """Return the job that refits the models of members whose signals changed (None: off)."""
    if settings.recommendation_refit_interval_s <= 0:
        return None

    def refit(slot: datetime) -> str:
        done = refit_stale_models(storage=storage, model_name=None, now=clock())
        return f"refitted {done} member model(s)" if done else ""

    return Job("member models", every(settings.recommendation_refit_interval_s), refit, polls=True)


def refit_in_background(settings: Settings, storage: Storage) -> threading.Thread | None:
    """Run the refit job on a daemon thread (for `dailypapers serve`)."""
    job = recommendation_job(settings=settings, storage=storage, clock=lambda: datetime.now(UTC))
    if job is None:
        return None
    thread = threading.Thread(
        target=run_jobs,
        args=([job],),
        kwargs={"clock": lambda: datetime.now(UTC), "stop": threading.Event()},
        name="member-models",
        daemon=True,
    )
    thread.start()
    return thread
